from __future__ import annotations

from crm_proto import CloudEvent
from crm_proto.events.contacts import (
    ContactCreated,
    ContactDeleted,
    ContactSnapshot,
    ContactUpdated,
)

from contacts_service.contacts.models import Contact
from contacts_service.events import events


def _snapshot(contact: Contact) -> ContactSnapshot:
    return ContactSnapshot.model_validate(contact, from_attributes=True)


def created(contact: Contact) -> CloudEvent:
    return events.event("crm.contacts.contact.created.v1", ContactCreated(contact=_snapshot(contact)),
                        tenant_id=contact.tenant_id, subject=contact.id, sequence=contact.version)


def updated(contact: Contact, changed: list[str]) -> CloudEvent:
    return events.event("crm.contacts.contact.updated.v1",
                        ContactUpdated(contact=_snapshot(contact), changed=changed),
                        tenant_id=contact.tenant_id, subject=contact.id, sequence=contact.version)


def deleted(contact: Contact) -> CloudEvent:
    return events.event("crm.contacts.contact.deleted.v1", ContactDeleted(id=contact.id),
                        tenant_id=contact.tenant_id, subject=contact.id,
                        sequence=contact.version + 1)
