from __future__ import annotations

from crm_chassis.entity_events import EntityEvents
from crm_proto.events.contacts import (
    AccountCreated,
    AccountDeleted,
    AccountSnapshot,
    AccountUpdated,
)

from contacts_service.events import events

ACCOUNT_EVENTS = EntityEvents(
    events,
    "crm.contacts.account",
    AccountSnapshot,
    "account",
    created=AccountCreated,
    updated=AccountUpdated,
    deleted=AccountDeleted,
)
created = ACCOUNT_EVENTS.created
updated = ACCOUNT_EVENTS.updated
deleted = ACCOUNT_EVENTS.deleted
