from __future__ import annotations

from crm_chassis.entity_events import EntityEvents
from crm_proto import CloudEvent
from crm_proto.events import contacts as contacts_events

from contacts_service.events import events
from contacts_service.notes.models import Note

NOTE_EVENTS = EntityEvents.of(events, "crm.contacts.note", contacts_events)
created = NOTE_EVENTS.created


def updated(note: Note, changed: list[str], new_mentions: list[str]) -> CloudEvent:
    return NOTE_EVENTS.updated(note, changed, new_mentions=new_mentions)


def deleted(note: Note) -> CloudEvent:
    return NOTE_EVENTS.deleted(note, contact_id=note.contact_id, account_id=note.account_id)
