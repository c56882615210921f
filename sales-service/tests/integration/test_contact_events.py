"""What contacts-service's events do here: a merge re-points, an erasure erases."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import nats
import pytest
from crm_proto import new_event
from crm_proto.events.contacts import ContactErased, ContactMerged
from crm_testing.service import eventually

from .helpers import STANDARD_STAGES, created, money, pipeline_with_stages


@pytest.fixture
async def publish(nats_url, sales_app):
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await sales_app.state.bus.wait_ready(10)

    async def send(tenant: UUID, type_: str, data) -> None:
        event = new_event(type=type_, source="/crm/contacts-service", tenant_id=tenant, data=data)
        await js.publish(type_.rsplit(".", 1)[0], event.model_dump_json(exclude_none=True).encode())

    yield send
    await nc.close()


async def _converted_lead(api, pipeline) -> dict:
    lead = await created(
        api,
        "/v1/leads",
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@x.example",
            "phone": "+44 1",
            "estimated_value": money("70.00"),
        },
    )
    response = await api.post(
        f"/v1/leads/{lead['id']}/convert",
        json={"account": None, "deal": {"pipeline_id": pipeline["id"]}},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_merge_repoints_deals_roles_and_leads_to_the_survivor(api, tenant, publish):
    pipeline = await pipeline_with_stages(api, *STANDARD_STAGES[:1])
    lead = await _converted_lead(api, pipeline)
    old, survivor = lead["converted_contact_id"], str(uuid4())
    deal_url = f"/v1/deals/{lead['converted_deal_id']}"
    await api.put(f"{deal_url}/contacts", json=[{"contact_id": old, "role": "champion"}])
    await publish(
        tenant,
        "crm.contacts.contact.merged.v1",
        ContactMerged(merge_id=uuid4(), survivor_id=UUID(survivor), merged_ids=[UUID(old)]),
    )

    async def moved() -> None:
        assert (await api.get(deal_url)).json()["contact_id"] == survivor

    await eventually(moved)
    roles = (await api.get(f"{deal_url}/contacts")).json()["data"]
    assert roles == [{"contact_id": survivor, "role": "champion"}]
    assert (await api.get(f"/v1/leads/{lead['id']}")).json()["converted_contact_id"] == survivor


async def test_an_erasure_removes_personal_data_and_keeps_amounts(api, tenant, publish):
    pipeline = await pipeline_with_stages(api, *STANDARD_STAGES[:1])
    lead = await _converted_lead(api, pipeline)
    contact = lead["converted_contact_id"]
    deal_url = f"/v1/deals/{lead['converted_deal_id']}"
    await api.put(f"{deal_url}/contacts", json=[{"contact_id": contact, "role": "buyer"}])
    await publish(
        tenant,
        "crm.contacts.contact.erased.v1",
        ContactErased(contact_id=UUID(contact), erased_at=datetime.now(UTC)),
    )

    async def erased() -> dict:
        body = (await api.get(f"/v1/leads/{lead['id']}")).json()
        assert body["email"] is None
        return body

    body = await eventually(erased)
    assert (body["first_name"], body["last_name"], body["phone"]) == (None, None, None)
    assert body["estimated_value"] == money("70.00")
    assert (await api.get(f"{deal_url}/contacts")).json()["data"] == [
        {"contact_id": contact, "role": None}
    ]
    assert (await api.get(deal_url)).json()["amount"] == money("70.00")
