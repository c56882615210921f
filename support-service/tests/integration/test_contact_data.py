"""Contacts' merges re-point tickets and calls (an undo points them back); an erasure
anonymises what support holds about the person. Events arrive over real NATS."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import nats
import pytest
from crm_proto import CloudEvent, new_event
from crm_proto.events import contacts
from crm_testing.service import eventually
from fastapi import FastAPI

from .helpers import created

Publish = Callable[[CloudEvent], Awaitable[None]]


@pytest.fixture
async def publish(nats_url: str, support_app: FastAPI) -> AsyncIterator[Publish]:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await support_app.state.bus.wait_ready(10)

    async def send(event: CloudEvent) -> None:
        await js.publish(event.type.rsplit(".", 1)[0], event.model_dump_json().encode())

    yield send
    await nc.close()


def contacts_event(tenant: UUID, type_: str, data: Any) -> CloudEvent:
    return new_event(type=type_, source="/crm/contacts-service", tenant_id=tenant, data=data)


async def test_a_merge_repoints_tickets_and_calls_and_its_undo_points_them_back(
    api: httpx.AsyncClient, tenant: UUID, publish: Publish
) -> None:
    survivor, merged = uuid4(), uuid4()
    ticket = await created(api, "/v1/tickets", {"subject": "x", "requester_id": str(merged)})
    call = await created(api, "/v1/calls", {
        "direction": "inbound", "from_number": "+4930123456", "to_number": "+4940999000",
        "started_at": "2026-12-01T10:00:00Z", "contact_id": str(merged),
    })  # fmt: skip
    merge_id = uuid4()
    data = contacts.ContactMerged(merge_id=merge_id, survivor_id=survivor, merged_ids=[merged])
    await publish(contacts_event(tenant, "crm.contacts.contact.merged.v1", data))

    async def repointed(to: UUID) -> None:
        t = (await api.get(f"/v1/tickets/{ticket['id']}")).json()
        c = (await api.get(f"/v1/calls/{call['id']}")).json()
        assert (t["requester_id"], c["contact_id"]) == (str(to), str(to))

    await eventually(lambda: repointed(survivor))
    undo = contacts.MergeUndone(merge_id=merge_id, kind="contact", survivor_id=survivor,
                                restored_ids=[merged])  # fmt: skip
    await publish(contacts_event(tenant, "crm.contacts.merge.undone.v1", undo))
    await eventually(lambda: repointed(merged))


async def test_an_erasure_anonymises_the_persons_tickets_messages_and_calls(
    api: httpx.AsyncClient, tenant: UUID, publish: Publish
) -> None:
    person, other = uuid4(), uuid4()
    body = {"subject": "My address is 1 Main St", "requester_id": str(person),
            "requester_email": "p@example.org", "description": "Call me on +4930"}  # fmt: skip
    mine = await created(api, "/v1/tickets", body)
    await api.post(f"/v1/tickets/{mine['id']}/messages", json={"body": "We will"})
    theirs = await created(api, "/v1/tickets", {"subject": "Keep", "requester_id": str(other)})
    call = await created(api, "/v1/calls", {
        "direction": "inbound", "from_number": "+4930123456", "to_number": "+4940999000",
        "started_at": "2026-12-01T10:00:00Z", "contact_id": str(person),
    })  # fmt: skip
    erased = contacts.ContactErased(contact_id=person, erased_at=datetime.now(UTC))
    await publish(contacts_event(tenant, "crm.contacts.contact.erased.v1", erased))

    async def anonymised() -> None:
        t = (await api.get(f"/v1/tickets/{mine['id']}")).json()
        assert t["subject"] == "(erased)" and t["requester_email"] is None

    await eventually(anonymised)
    messages = (await api.get(f"/v1/tickets/{mine['id']}/messages")).json()
    assert [m["body"] for m in messages] == ["(erased)", "We will"]
    assert (await api.get(f"/v1/calls/{call['id']}")).json()["from_number"] == "(erased)"
    assert (await api.get(f"/v1/tickets/{theirs['id']}")).json()["subject"] == "Keep"
