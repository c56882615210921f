"""Note use cases (C9). Functions take keyword arguments and never commit."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.auth import Actor
from crm_chassis.errors import NotFound, ValidationFailed
from crm_chassis.http import check_if_match
from crm_chassis.outbox import emit
from crm_chassis.pagination import PageParams
from crm_chassis.repository import actor_of
from crm_chassis.resources import patched
from sqlalchemy.ext.asyncio import AsyncSession

from contacts_service.accounts.repository import AccountRepository
from contacts_service.contacts.repository import ContactRepository
from contacts_service.notes import events
from contacts_service.notes.mentions import mentions_in
from contacts_service.notes.models import Note
from contacts_service.notes.repository import NoteFilters, NoteRepository
from contacts_service.notes.schemas import NoteRead, NoteWrite


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
    if data.contact_id and await ContactRepository(session, who).get(data.contact_id) is None:
        errors.append({"field": "contact_id", "message": "no such contact"})
    if data.account_id and await AccountRepository(session, who).get(data.account_id) is None:
        errors.append({"field": "account_id", "message": "no such account"})
    if errors:
        raise ValidationFailed("The note must belong to a contact or an account", errors=errors)


async def create(
    *, session: AsyncSession, who: Actor | UUID, author_id: UUID, data: NoteWrite
) -> Note:
    await _check_parents(session, who, data)
    note = await NoteRepository(session, who).add(
        Note(
            tenant_id=actor_of(who).tenant_id,
            author_id=author_id,
            body=data.body,
            contact_id=data.contact_id,
            account_id=data.account_id,
            mentions=mentions_in(data.body),
        )
    )
    await emit(session, events.created(note))
    return note


async def get(
    *, session: AsyncSession, who: Actor | UUID, note_id: UUID, for_update: bool = False
) -> Note:
    note = await NoteRepository(session, who).get(note_id, for_update=for_update)
    if note is None:
        raise NotFound(f"No note {note_id}")
    return note


async def list_page(
    *, session: AsyncSession, who: Actor | UUID, params: PageParams, filters: NoteFilters
) -> tuple[list[Note], str | None]:
    repo = NoteRepository(session, who)
    return await repo.page(params, repo.filtered(filters))


async def patch(
    *, session: AsyncSession, who: Actor | UUID, note_id: UUID, body: Any, if_match: str | None
) -> Note:
    note = await get(session=session, who=who, note_id=note_id, for_update=True)
    check_if_match(if_match, note.version)
    current = NoteRead.model_validate(note).model_dump(mode="json")
    model, changed = patched(current, NoteWrite, body)
    if not changed:
        return note
    await _check_parents(session, who, model)
    before = list(note.mentions)
    note.body, note.contact_id, note.account_id = model.body, model.contact_id, model.account_id
    note.mentions = mentions_in(model.body)
    await session.flush()
    new_mentions = [m for m in note.mentions if m not in before]
    await emit(session, events.updated(note, changed, new_mentions))
    return note


async def delete(
    *, session: AsyncSession, who: Actor | UUID, note_id: UUID, if_match: str | None
) -> None:
    note = await get(session=session, who=who, note_id=note_id, for_update=True)
    check_if_match(if_match, note.version)
    await emit(session, events.deleted(note))
    await NoteRepository(session, who).delete(note)


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
