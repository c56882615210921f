"""Contacts-service's events as it publishes them, for the projection to consume."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from crm_proto import CloudEvent, new_event
from crm_proto.events.contacts import ContactCreated, ContactSnapshot, ContactUpdated

GRANTED = {"email": {"marketing": "granted"}}


def snapshot(contact_id: UUID | None = None, version: int = 1, **fields: Any) -> ContactSnapshot:
    now = datetime.now(UTC)
    values: dict[str, Any] = {"email": f"{uuid4().hex[:10]}@example.com", "consent": GRANTED}
    values.update(fields)
    return ContactSnapshot(
        id=contact_id or uuid4(), version=version, created_at=now, updated_at=now, **values
    )


def contact_event(
    tenant: UUID, contact: ContactSnapshot, *, created: bool | None = None
) -> CloudEvent:
    created = contact.version == 1 if created is None else created
    if created:
        type_, data = "crm.contacts.contact.created.v1", ContactCreated(contact=contact)
    else:
        type_ = "crm.contacts.contact.updated.v1"
        data = ContactUpdated(contact=contact, changed=["lifecycle_stage"])  # type: ignore[assignment]
    return new_event(
        type=type_,
        source="/crm/contacts-service",
        tenant_id=tenant,
        data=data,
        subject=contact.id,
        sequence=contact.version,
    )


def event(
    tenant: UUID, type_: str, data: Any, subject: UUID, sequence: int | None = None
) -> CloudEvent:
    return new_event(
        type=type_,
        source="/crm/contacts-service",
        tenant_id=tenant,
        data=data,
        subject=subject,
        sequence=sequence,
    )
