from __future__ import annotations

from crm_chassis.entity_events import EntityEvents
from crm_proto.events import contacts as contacts_events

from contacts_service.events import events

ACCOUNT_EVENTS = EntityEvents.of(events, "crm.contacts.account", contacts_events)
created = ACCOUNT_EVENTS.created
updated = ACCOUNT_EVENTS.updated
deleted = ACCOUNT_EVENTS.deleted
