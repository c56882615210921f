"""Lead conversion (S3), contacts' side: the account and contact sales allocated are
created with those ids, or only their empty fields are filled; twice is once."""

from datetime import UTC, datetime
from uuid import UUID, uuid4

import nats
import pytest
from crm_proto import CloudEvent, new_event
from crm_proto.events.sales import ConvertedAccount, ConvertedContact, LeadConverted
from crm_testing.service import eventually


@pytest.fixture(scope="module")
async def publish(nats_url, contacts_app):
    """Publish to JetStream as sales-service's relay would; ``msg_id`` lets a test send
    the same event again under another id (a redelivery the bus does not deduplicate)."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await contacts_app.state.bus.wait_ready(10)

    async def send(event: CloudEvent) -> None:
        subject = event.type.rsplit(".", 1)[0]
        await js.publish(subject, event.model_dump_json(exclude_none=True).encode())

    yield send
    await nc.close()


def converted(tenant: UUID, *, account=None, contact=None) -> CloudEvent:
    data = LeadConverted(
        lead_id=uuid4(),
        account=account,
        contact=contact or ConvertedContact(id=uuid4(), existing=False, last_name="Doe"),
        converted_at=datetime.now(UTC),
    )
    return new_event(
        type="crm.sales.lead.converted.v1",
        source="/crm/sales-service",
        tenant_id=tenant,
        data=data,
        subject=data.lead_id,
    )


async def _get(api, path: str) -> dict:
    response = await api.get(path)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_converted_lead_becomes_an_account_and_a_contact_with_sales_ids(
    api, tenant, publish
):
    account_id, contact_id = uuid4(), uuid4()
    event = converted(
        tenant,
        account=ConvertedAccount(
            id=account_id, existing=False, name="Engines Ltd", website="https://engines.example"
        ),
        contact=ConvertedContact(
            id=contact_id,
            existing=False,
            first_name="Ada",
            last_name="Lovelace",
            email="ada@engines.example",
            phone="+44 20 7946 0000",
            title="CTO",
        ),
    )
    await publish(event)
    contact = await eventually(lambda: _get(api, f"/v1/contacts/{contact_id}"))
    assert (contact["first_name"], contact["email"], contact["account_id"]) == (
        "Ada", "ada@engines.example", str(account_id),
    )  # fmt: skip
    account = await _get(api, f"/v1/accounts/{account_id}")
    assert account["name"] == "Engines Ltd" and account["website"] == "https://engines.example"

    # The same event delivered again (with another message id, so the bus lets it
    # through): the inbox has it, nothing new is created.
    marker = converted(tenant, contact=ConvertedContact(id=uuid4(), existing=False, last_name="M"))
    await publish(event)
    await publish(marker)
    await eventually(lambda: _get(api, f"/v1/contacts/{marker.data['contact']['id']}"))
    contacts = (await api.get("/v1/contacts")).json()["data"]
    accounts = (await api.get("/v1/accounts")).json()["data"]
    assert len(contacts) == 2 and len(accounts) == 1
    assert (await _get(api, f"/v1/contacts/{contact_id}"))["version"] == contact["version"]


async def test_merging_into_an_existing_contact_fills_only_its_empty_fields(api, tenant, publish):
    existing = await api.post(
        "/v1/contacts", json={"first_name": "Grace", "last_name": "Hopper", "title": "Admiral"}
    )
    assert existing.status_code == 201, existing.text
    contact_id = existing.json()["id"]
    await publish(
        converted(
            tenant,
            contact=ConvertedContact(
                id=UUID(contact_id),
                existing=True,
                first_name="G.",
                last_name="Hopper",
                title="Intern",
                email="grace@navy.example",
            ),
        )
    )

    async def filled() -> dict:
        body = await _get(api, f"/v1/contacts/{contact_id}")
        assert body["email"] == "grace@navy.example"
        return body

    body = await eventually(filled)
    assert (body["first_name"], body["title"]) == ("Grace", "Admiral")  # never overwritten
    assert len((await api.get("/v1/contacts")).json()["data"]) == 1
