from __future__ import annotations

from typing import Any

from crm_proto import CloudEvent
from crm_proto.events.contacts import (
    ConsentChange,
    ContactConsentChanged,
    ContactCreated,
    ContactDeleted,
    ContactSnapshot,
    ContactUpdated,
)

from contacts_service.contacts.models import Contact
from contacts_service.events import events


def snapshot(contact: Contact) -> ContactSnapshot:
    return ContactSnapshot.model_validate(contact, from_attributes=True)


def created(contact: Contact) -> CloudEvent:
    return events.event(
        "crm.contacts.contact.created.v1",
        ContactCreated(contact=snapshot(contact)),
        tenant_id=contact.tenant_id,
        subject=contact.id,
        sequence=contact.version,
    )


def updated(contact: Contact, changed: list[str]) -> CloudEvent:
    return events.event(
        "crm.contacts.contact.updated.v1",
        ContactUpdated(contact=snapshot(contact), changed=changed),
        tenant_id=contact.tenant_id,
        subject=contact.id,
        sequence=contact.version,
    )


def deleted(contact: Contact) -> CloudEvent:
    return events.event(
        "crm.contacts.contact.deleted.v1",
        ContactDeleted(id=contact.id),
        tenant_id=contact.tenant_id,
        subject=contact.id,
        sequence=contact.version + 1,
    )


def consent_changed(contact: Contact, was_dnc: bool, was: dict[str, Any]) -> CloudEvent:
    changes = []
    now: dict[str, Any] = contact.consent
    for channel in sorted(set(was) | set(now)):
        before, after = was.get(channel, {}), now.get(channel, {})
        for purpose in sorted(set(before) | set(after)):
            if before.get(purpose) != after.get(purpose):
                changes.append(
                    ConsentChange(
                        channel=channel,
                        purpose=purpose,
                        status=after.get(purpose, "unknown"),
                        previous=before.get(purpose),
                    )
                )
    return events.event(
        "crm.contacts.contact.consent_changed.v1",
        ContactConsentChanged(
            contact_id=contact.id, do_not_contact=contact.do_not_contact, changes=changes
        ),
        tenant_id=contact.tenant_id,
        subject=contact.id,
        sequence=contact.version,
    )
