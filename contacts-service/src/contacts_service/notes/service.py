"""Note use cases (C9). Functions take the :class:`~crm_chassis.crud.Call` and never commit."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.auth import Actor
from crm_chassis.crud import Call, View, load_for_update, patch_model
from crm_chassis.errors import NotFound, ValidationFailed
from crm_chassis.outbox import emit
from crm_chassis.pagination import PageParams
from sqlalchemy.ext.asyncio import AsyncSession

from contacts_service.accounts.repository import AccountRepository
from contacts_service.contacts.repository import ContactRepository
from contacts_service.notes import events
from contacts_service.notes.mentions import mentions_in
from contacts_service.notes.models import Note
from contacts_service.notes.repository import NoteFilters, NoteRepository
from contacts_service.notes.schemas import NoteRead, NoteWrite

NOTE = View("note", NoteRead, path="/v1/notes")


async def require_record(
    session: AsyncSession, who: Actor | UUID, kind: str, record_id: UUID
) -> None:
    """404 unless the caller may see the contact or account (another tenant's, or a
    colleague's under ``own`` visibility, is unknown)."""
    repo = (ContactRepository if kind == "contact" else AccountRepository)(session, who)
    if not await repo.exists(record_id):
        raise NotFound(f"No {kind} {record_id}")


async def _check_parents(session: AsyncSession, who: Actor | UUID, data: NoteWrite) -> None:
    errors = []
    if data.contact_id is None and data.account_id is None:
        errors.append(
            {"field": "contact_id", "message": "a note needs a contact_id or an account_id"}
        )
    if data.contact_id and not await ContactRepository(session, who).exists(data.contact_id):
        errors.append({"field": "contact_id", "message": "no such contact"})
    if data.account_id and not await AccountRepository(session, who).exists(data.account_id):
        errors.append({"field": "account_id", "message": "no such account"})
    if errors:
        raise ValidationFailed("The note must belong to a contact or an account", errors=errors)


async def create(call: Call, data: NoteWrite) -> Note:
    """A note by the caller (its author, whatever the body says) on records they may see."""
    await _check_parents(call.session, call.actor, data)
    note = await NoteRepository(call.session, call.actor).add(
        Note(
            tenant_id=call.tenant_id,
            author_id=call.actor.user_id,
            body=data.body,
            contact_id=data.contact_id,
            account_id=data.account_id,
            mentions=mentions_in(data.body),
        )
    )
    await emit(call.session, events.created(note))
    return note


async def get(call: Call, note_id: UUID) -> Note:
    return await NoteRepository(call.session, call.actor).require(note_id)


async def list_page(
    call: Call, params: PageParams, filters: NoteFilters
) -> tuple[list[Note], str | None]:
    repo = NoteRepository(call.session, call.actor)
    return await repo.page(params, repo.filtered(filters))


async def patch(call: Call, note_id: UUID, body: Any, *, if_match: str | None) -> Note:
    note = await load_for_update(NoteRepository(call.session, call.actor), note_id, if_match)
    model, changed = patch_model(NOTE, call.actor, note, NoteWrite, body)
    if not changed:
        return note
    await _check_parents(call.session, call.actor, model)
    before = list(note.mentions)
    note.body, note.contact_id, note.account_id = model.body, model.contact_id, model.account_id
    note.mentions = mentions_in(model.body)
    await call.session.flush()
    new_mentions = [m for m in note.mentions if m not in before]
    await emit(call.session, events.updated(note, changed, new_mentions))
    return note


async def delete(call: Call, note_id: UUID, *, if_match: str | None) -> None:
    repo = NoteRepository(call.session, call.actor)
    note = await load_for_update(repo, note_id, if_match)
    await emit(call.session, events.deleted(note))
    await repo.delete(note)


async def detach_record(
    *, session: AsyncSession, tenant_id: UUID, kind: str, record_id: UUID
) -> None:
    """A contact or account was deleted: a note on it alone goes with it, a note that
    also belongs to the other record stays there."""
    repo = NoteRepository(session, tenant_id)
    for note in await repo.of_record(kind, record_id):
        other = note.account_id if kind == "contact" else note.contact_id
        if other is None:
            await emit(session, events.deleted(note))
            await repo.delete(note)
            continue
        setattr(note, f"{kind}_id", None)
        await session.flush()
        await emit(session, events.updated(note, [f"{kind}_id"], []))
