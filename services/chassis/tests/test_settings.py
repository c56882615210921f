"""Settings: files default under one data folder, which a stack moves as a whole."""

from pathlib import Path

from crm_chassis.settings import ServiceSettings
from crm_chassis.storage import StorageSettings


class DemoSettings(ServiceSettings, StorageSettings, env_prefix="CRM_DEMO_"):
    imports_path: str = ".data/imports"
    warehouse_path: Path = Path(".data/demo/warehouse.duckdb")
    elsewhere_path: str = "/var/lib/crm/x"


def test_files_stay_under_dot_data_by_default() -> None:
    settings = DemoSettings()

    assert settings.imports_path == ".data/imports"
    assert settings.storage_path == ".data/objects"


def test_crm_data_dir_moves_every_default_file_under_it(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path))

    settings = DemoSettings()

    assert settings.imports_path == str(tmp_path / "imports")
    assert settings.storage_path == str(tmp_path / "objects")
    assert settings.warehouse_path == tmp_path / "demo" / "warehouse.duckdb"
    assert settings.elsewhere_path == "/var/lib/crm/x"  # not under .data: left as set
