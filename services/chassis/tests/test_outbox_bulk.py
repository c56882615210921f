"""The bulk outbox path writes, with one COPY, exactly the rows ``emit`` writes."""

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest
from crm_chassis import context
from crm_chassis.outbox import BulkEvents, copy_events, emit
from crm_chassis.tables import outbox
from crm_proto import CloudEvent
from crm_proto.events.contacts import (
    ContactAccountLinked,
    ContactCreated,
    ContactDeleted,
    ContactSnapshot,
    EmailEntry,
)
from sqlalchemy import select

from .conftest import Widget
from .events import SOURCE

CREATED = "crm.contacts.contact.created.v1"
LINKED = "crm.contacts.contact_account.linked.v1"
DELETED = "crm.contacts.contact.deleted.v1"


def a_contact(**overrides) -> ContactSnapshot:
    fields = {
        "id": uuid4(),
        "first_name": "Zoë",
        "last_name": "Ødegård 東京",
        "emails": [EmailEntry(email="zoe@example.com", primary=True)],
        "member_since": date(2024, 2, 29),
        "custom": {"score": 0.1, "big": 1e20, "tiny": 5e-324, "n": None, "deep": {"a": [1, "x"]}},
        "tags": ["vip"],
        "version": 3,
        "created_at": datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC),
        "updated_at": datetime(2026, 11, 22, 12, 0, 0, 120, tzinfo=UTC),
    }
    return ContactSnapshot(**(fields | overrides))


def as_emit_would(bulk: BulkEvents, event_id: UUID, type_, payload, subject, sequence):
    """The CloudEvent ``EventSource.event`` builds for the same payload, id and time."""
    return CloudEvent(
        id=str(event_id),
        source=bulk.source,
        type=type_,
        subject=str(subject) if subject is not None else None,
        time=bulk.time,
        data=payload.model_dump(mode="json"),
        tenantid=str(bulk.tenant_id),
        sequence=sequence,
    )


async def outbox_rows(sessions) -> dict[UUID, tuple]:
    async with sessions() as s:
        rows = (
            await s.execute(
                select(outbox.c.id, outbox.c.tenant_id, outbox.c.subject, outbox.c.body)
            )
        ).all()
    return {r.id: (r.tenant_id, r.subject, r.body) for r in rows}


@pytest.mark.parametrize(
    "traceparent", [None, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"]
)
@pytest.mark.parametrize(
    "time",
    [
        datetime(2026, 12, 1, 23, 0, tzinfo=UTC),
        datetime(2026, 12, 1, 23, 0, 5, 123456, tzinfo=UTC),
    ],
)
async def test_bulk_rows_are_byte_for_byte_what_emit_writes(sessions, traceparent, time):
    tenant = uuid4()
    token = context.traceparent.set(traceparent)
    try:
        bulk = BulkEvents(source=SOURCE.source, tenant_id=tenant, time=time)
        contact = a_contact()
        other = a_contact(id=uuid4(), first_name=None, emails=[], custom={})
        link = ContactAccountLinked(contact_id=contact.id, account_id=uuid4())
        cases = [  # (type, payload, what the bulk path is given, subject, sequence)
            (CREATED, ContactCreated(contact=contact), None, contact.id, 3),
            (CREATED, ContactCreated(contact=other), "dict", other.id, 1),
            (LINKED, link, "dict", contact.id, None),
            (DELETED, ContactDeleted(id=contact.id), None, None, None),
        ]
        expected = []
        for type_, payload, given, subject, sequence in cases:
            data = payload.model_dump(mode="python") if given == "dict" else payload
            event_id = bulk.add(type_, data, subject=subject, sequence=sequence)
            expected.append(as_emit_would(bulk, event_id, type_, payload, subject, sequence))
        async with sessions() as s, s.begin():
            assert await copy_events(s, bulk) == len(cases)
        bulk_rows = await outbox_rows(sessions)
        async with sessions() as s, s.begin():
            await s.execute(outbox.delete())
            await emit(s, *expected)
        assert await outbox_rows(sessions) == bulk_rows
    finally:
        context.traceparent.reset(token)
    assert len(bulk_rows) == len(cases)
    assert all(tenant_id == tenant for tenant_id, _, _ in bulk_rows.values())


async def test_bulk_events_commit_with_the_change_or_not_at_all(sessions):
    tenant = uuid4()
    bulk = BulkEvents(source=SOURCE.source, tenant_id=tenant)
    for _ in range(3):
        bulk.add(DELETED, ContactDeleted(id=uuid4()))
    with pytest.raises(RuntimeError):
        async with sessions() as s, s.begin():
            s.add(Widget(tenant_id=tenant, name="w"))
            await copy_events(s, bulk)
            raise RuntimeError("the request failed after writing")
    assert await outbox_rows(sessions) == {}
    async with sessions() as s, s.begin():
        s.add(Widget(tenant_id=tenant, name="w"))
        await s.flush()
        await copy_events(s, bulk)
    assert set(await outbox_rows(sessions)) == {r[0] for r in bulk.records}


async def test_prebuilt_events_are_copied_as_emit_writes_them(sessions):
    events = [SOURCE.event(DELETED, ContactDeleted(id=uuid4()), tenant_id=uuid4()) for _ in "ab"]
    async with sessions() as s, s.begin():
        assert await copy_events(s, events) == 2
    copied = await outbox_rows(sessions)
    async with sessions() as s, s.begin():
        await s.execute(outbox.delete())
        await emit(s, *events)
    assert await outbox_rows(sessions) == copied


def test_a_payload_model_of_another_type_is_refused():
    bulk = BulkEvents(source=SOURCE.source, tenant_id=uuid4())
    with pytest.raises(TypeError, match="ContactDeleted"):
        bulk.add(CREATED, ContactDeleted(id=uuid4()))
