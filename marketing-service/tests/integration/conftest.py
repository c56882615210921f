import nats
import pytest
from crm_proto import CloudEvent
from crm_testing.service import eventually


@pytest.fixture(scope="session")
async def publish(nats_url, marketing_app):
    """Publish a CloudEvent to JetStream as its producing service would."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await marketing_app.state.bus.wait_ready(10)

    async def send(event: CloudEvent) -> None:
        subject = event.type.rsplit(".", 1)[0]
        await js.publish(subject, event.model_dump_json(exclude_none=True).encode())

    yield send
    await nc.close()


@pytest.fixture
def projected(api):
    """Wait until the projection holds the contact (its score endpoint answers)."""

    async def wait(contact_id) -> None:
        async def check() -> None:
            response = await api.get(f"/v1/contacts/{contact_id}/score")
            assert response.status_code == 200, response.text

        await eventually(check)

    return wait
