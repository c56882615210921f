from __future__ import annotations

from typing import Any

from crm_chassis.entity_events import EntityEvents
from crm_proto import CloudEvent
from crm_proto.events import contacts as contacts_events
from crm_proto.events.contacts import (
    ConsentChange,
    ContactConsentChanged,
)

from contacts_service.contacts.models import Contact
from contacts_service.events import events

CONTACT_EVENTS = EntityEvents.of(events, "crm.contacts.contact", contacts_events)
snapshot = CONTACT_EVENTS.snapshot
created = CONTACT_EVENTS.created
updated = CONTACT_EVENTS.updated
deleted = CONTACT_EVENTS.deleted


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
    data = ContactConsentChanged(
        contact_id=contact.id, do_not_contact=contact.do_not_contact, changes=changes
    )
    return CONTACT_EVENTS.event("consent_changed", contact, data)
