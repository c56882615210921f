from pathlib import Path

from analytics_service.main import create_app
from analytics_service.models import Base
from analytics_service.settings import AnalyticsSettings
from crm_testing.schema_drift import schema_drift
from crm_testing.service import assert_boots_ready

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"


async def test_service_is_healthy_and_ready_on_its_migrated_database(service_database, nats_url):
    url = await service_database.acreate("analytics", ALEMBIC_INI)
    assert await schema_drift(url, Base.metadata) == []
    await assert_boots_ready(create_app(AnalyticsSettings(database_url=url, nats_url=nats_url)))
