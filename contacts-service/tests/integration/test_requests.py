"""What marketing asks of a contact lands on the contact: consent from unsubscribes and
preferences, tags from journeys; a request for a contact that is gone changes nothing."""

from uuid import UUID, uuid4

import nats
import pytest
from crm_proto import CloudEvent, new_event
from crm_proto.events.marketing import ContactSubscribed, ContactTagRequested, ContactUnsubscribed
from crm_testing.service import eventually


@pytest.fixture(scope="module")
async def publish(nats_url, contacts_app):
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await contacts_app.state.bus.wait_ready(10)

    async def send(event: CloudEvent) -> None:
        await js.publish(
            event.type.rsplit(".", 1)[0], event.model_dump_json(exclude_none=True).encode()
        )

    yield send
    await nc.close()


def _event(type_: str, tenant: UUID, data) -> CloudEvent:
    return new_event(
        type=type_,
        source="/crm/marketing-service",
        tenant_id=tenant,
        data=data,
        subject=data.contact_id,
    )


async def _contact(api) -> dict:
    created = await api.post(
        "/v1/contacts",
        json={
            "last_name": "Lovelace",
            "email": "ada@example.com",
            "tags": ["vip"],
            "consent": {"email": {"marketing": "granted", "newsletter": "granted"}},
        },
    )
    assert created.status_code == 201, created.text
    return created.json()


async def test_an_unsubscribe_then_a_resubscribe_become_the_contacts_consent(
    api, tenant, publish
) -> None:
    contact = await _contact(api)
    cid = UUID(contact["id"])

    await publish(
        _event(
            "crm.marketing.contact.unsubscribed.v1",
            tenant,
            ContactUnsubscribed(
                contact_id=cid, channel="email", purpose="marketing", source="one_click"
            ),
        )
    )

    async def denied() -> dict:
        body = (await api.get(f"/v1/contacts/{cid}")).json()
        assert body["consent"]["email"] == {"marketing": "denied", "newsletter": "granted"}
        return body

    await eventually(denied, within=20)

    await publish(
        _event(
            "crm.marketing.contact.subscribed.v1",
            tenant,
            ContactSubscribed(contact_id=cid, channel="email", purpose="marketing"),
        )
    )

    async def granted() -> None:
        body = (await api.get(f"/v1/contacts/{cid}")).json()
        assert body["consent"]["email"]["marketing"] == "granted"

    await eventually(granted, within=20)


async def test_a_journeys_tag_is_added_once_and_a_missing_contact_is_left_alone(
    api, tenant, publish
) -> None:
    contact = await _contact(api)
    cid = UUID(contact["id"])
    for _ in range(2):
        await publish(
            _event(
                "crm.marketing.contact.tag_requested.v1",
                tenant,
                ContactTagRequested(contact_id=cid, tag="nurtured"),
            )
        )
    await publish(
        _event(
            "crm.marketing.contact.tag_requested.v1",
            tenant,
            ContactTagRequested(contact_id=uuid4(), tag="ghost"),
        )
    )

    async def tagged() -> dict:
        body = (await api.get(f"/v1/contacts/{cid}")).json()
        assert body["tags"] == ["vip", "nurtured"]
        return body

    body = await eventually(tagged, within=20)
    assert body["version"] == contact["version"] + 1  # the second request changed nothing
