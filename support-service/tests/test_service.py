from pathlib import Path

from crm_testing.schema_drift import schema_drift
from crm_testing.service import client, eventually, running
from support_service.main import create_app
from support_service.models import Base
from support_service.settings import SupportSettings

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"


async def test_service_is_healthy_and_ready_on_its_migrated_database(service_database, nats_url):
    url = await service_database.acreate("support", ALEMBIC_INI)
    assert await schema_drift(url, Base.metadata) == []
    async with running(create_app(SupportSettings(database_url=url, nats_url=nats_url))) as app:
        async with client(app) as http:
            assert (await http.get("/healthz")).json() == {"status": "ok"}

            async def ready() -> None:  # NATS connects in the background
                response = await http.get("/readyz")
                assert response.json()["checks"] == {"database": True, "nats": True}

            await eventually(ready)
            missing = await http.get("/v1/anything")
            assert missing.status_code == 404
            assert missing.headers["content-type"] == "application/problem+json"
