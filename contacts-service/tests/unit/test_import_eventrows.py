"""The batch path's contact events are the bytes ``emit`` writes for the proto models."""

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from contacts_service.contacts.derive import columns as derive_columns
from contacts_service.contacts.schemas import ContactWrite
from contacts_service.events import events
from contacts_service.imports.eventrows import ContactEvents, snapshot
from crm_chassis.outbox import record_of
from crm_proto import CloudEvent
from crm_proto.events.contacts import ContactAccountLinked, ContactCreated, ContactUpdated

NOW = datetime(2026, 12, 1, 23, 30, 1, 250000, tzinfo=UTC)
FULL = {
    "first_name": "Zoë",
    "last_name": "Ødegård",
    "title": "CTO",
    "company": "東京 Labs",
    "emails": [{"email": "zoe@example.com", "label": "work"}, {"email": "z@example.org"}],
    "phones": [{"number": "+44 20 7946 0958", "label": "office"}],
    "addresses": [{"city": "Oslo", "country": "NO", "primary": True}],
    "owner_id": str(uuid4()),
    "lifecycle_stage": "customer",
    "consent": {"email": {"marketing": "granted"}},
    "membership_level": "gold",
    "member_since": "2024-02-29",
    "tags": ["vip", "partner"],
    "custom": {"score": 0.1, "tier": "a", "seats": 12, "nested": {"x": [1, None]}},
    "external_id": "crm-1",
}


def as_emit_writes(rows: ContactEvents, event_id: UUID, type_, payload, subject, sequence):
    event = CloudEvent(
        id=str(event_id),
        source=events.source,
        type=type_,
        subject=str(subject),
        time=NOW,
        data=payload.model_dump(mode="json"),
        tenantid=str(rows.tenant_id),
        sequence=sequence,
    )
    return record_of(event)


@pytest.mark.parametrize(
    "item", [FULL, {"first_name": "Ada"}, {"email": "a@x.example"}], ids=["full", "name", "email"]
)
def test_contact_events_match_the_proto_models_byte_for_byte(item):
    cols = derive_columns(
        ContactWrite.model_validate(item), phone_region="GB", custom=item.get("custom", {})
    )
    contact_id, account_id = uuid4(), uuid4()
    snap = snapshot(contact_id, cols, version=2, created_at=NOW, updated_at=NOW)
    rows = ContactEvents(uuid4(), NOW)
    rows.created(snap)
    rows.updated(snap, ["first_name", "tags"])
    rows.linked(contact_id, account_id)
    contact = ContactCreated.model_validate({"contact": snap}).contact
    payloads = [
        ("crm.contacts.contact.created.v1", ContactCreated(contact=contact), 2),
        (
            "crm.contacts.contact.updated.v1",
            ContactUpdated(contact=contact, changed=["first_name", "tags"]),
            2,
        ),
        (
            "crm.contacts.contact_account.linked.v1",
            ContactAccountLinked(contact_id=contact_id, account_id=account_id, primary=True),
            None,
        ),
    ]
    expected = [
        as_emit_writes(rows, record[0], type_, payload, contact_id, sequence)
        for record, (type_, payload, sequence) in zip(rows.records, payloads, strict=True)
    ]
    assert rows.records == expected
