from __future__ import annotations

from crm_proto import CloudEvent
from crm_proto.events.contacts import NoteCreated, NoteDeleted, NoteSnapshot, NoteUpdated

from contacts_service.events import events
from contacts_service.notes.models import Note


def _snapshot(note: Note) -> NoteSnapshot:
    return NoteSnapshot.model_validate(note, from_attributes=True)


def created(note: Note) -> CloudEvent:
    return events.event(
        "crm.contacts.note.created.v1",
        NoteCreated(note=_snapshot(note)),
        tenant_id=note.tenant_id,
        subject=note.id,
        sequence=note.version,
    )


def updated(note: Note, changed: list[str], new_mentions: list[str]) -> CloudEvent:
    return events.event(
        "crm.contacts.note.updated.v1",
        NoteUpdated(note=_snapshot(note), changed=changed, new_mentions=new_mentions),
        tenant_id=note.tenant_id,
        subject=note.id,
        sequence=note.version,
    )


def deleted(note: Note) -> CloudEvent:
    return events.event(
        "crm.contacts.note.deleted.v1",
        NoteDeleted(id=note.id, contact_id=note.contact_id, account_id=note.account_id),
        tenant_id=note.tenant_id,
        subject=note.id,
        sequence=note.version + 1,
    )
