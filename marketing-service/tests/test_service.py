from pathlib import Path

from crm_testing.schema_drift import schema_drift
from crm_testing.service import assert_boots_ready
from marketing_service.main import create_app
from marketing_service.models import Base
from marketing_service.settings import MarketingSettings

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"


async def test_service_is_healthy_and_ready_on_its_migrated_database(service_database, nats_url):
    url = await service_database.acreate("marketing", ALEMBIC_INI)
    assert await schema_drift(url, Base.metadata) == []
    await assert_boots_ready(create_app(MarketingSettings(database_url=url, nats_url=nats_url)))
