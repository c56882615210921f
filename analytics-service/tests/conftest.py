import sys
from datetime import timedelta
from pathlib import Path

from analytics_service.main import create_app
from analytics_service.settings import AnalyticsSettings
from crm_testing.fixtures import service_fixtures

# The suite's helpers (analytics_factories) import by name from this folder.
sys.path.insert(0, str(Path(__file__).parent))


def _overrides(tmp_path_factory):
    folder = tmp_path_factory.mktemp("analytics")
    return {
        "warehouse_path": folder / "warehouse.duckdb",
        "parquet_path": folder / "parquet",
        "parquet_every": timedelta(seconds=0.2),  # the scheduled export, soon after a batch
    }


globals().update(
    service_fixtures(
        name="analytics",
        create_app=create_app,
        settings_cls=AnalyticsSettings,
        settings_overrides=_overrides,
    )
)
