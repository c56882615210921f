from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from crm_chassis.crud import CallDep
from crm_chassis.http import IfMatchDep
from crm_chassis.pagination import Page, PageParamsDep
from fastapi import APIRouter, Body, Query, status

from contacts_service.deps import MERGE_PATCH, READ, WRITE
from contacts_service.notes import service
from contacts_service.notes.repository import NoteFilters
from contacts_service.notes.schemas import NoteRead, NoteWrite
from contacts_service.notes.service import NOTE

router = APIRouter(prefix="/v1", tags=["notes"])


@router.post("/notes", status_code=status.HTTP_201_CREATED, dependencies=WRITE)
async def create_note(body: NoteWrite, call: CallDep) -> NoteRead:
    """Write a note on a contact and/or an account; the caller is its author."""
    return NOTE.created(call.actor, await service.create(call, body))


@router.get("/notes", dependencies=READ)
async def list_notes(
    call: CallDep,
    page: PageParamsDep,
    contact_id: UUID | None = None,
    account_id: UUID | None = None,
    author_id: UUID | None = None,
    mentioned: Annotated[str | None, Query(max_length=200, description="a user id")] = None,
) -> Page[NoteRead]:
    filters = NoteFilters(
        contact_id=contact_id, account_id=account_id, author_id=author_id, mentioned=mentioned
    )
    return NOTE.page(call.actor, *await service.list_page(call, page, filters))


async def _notes_of(kind: str, record_id: UUID, call: CallDep, page: Any) -> Page[NoteRead]:
    await service.require_record(call.session, call.actor, kind, record_id)
    filters = (
        NoteFilters(contact_id=record_id)
        if kind == "contact"
        else NoteFilters(account_id=record_id)
    )
    return NOTE.page(call.actor, *await service.list_page(call, page, filters))


@router.get("/contacts/{contact_id:uuid}/notes", dependencies=READ)
async def list_contact_notes(
    contact_id: UUID, call: CallDep, page: PageParamsDep
) -> Page[NoteRead]:
    return await _notes_of("contact", contact_id, call, page)


@router.get("/accounts/{account_id:uuid}/notes", dependencies=READ)
async def list_account_notes(
    account_id: UUID, call: CallDep, page: PageParamsDep
) -> Page[NoteRead]:
    """Notes written on the account itself (its contacts' notes are on its timeline)."""
    return await _notes_of("account", account_id, call, page)


@router.get("/notes/{note_id:uuid}", dependencies=READ)
async def get_note(note_id: UUID, call: CallDep) -> NoteRead:
    return NOTE.one(call.actor, await service.get(call, note_id))


@router.patch("/notes/{note_id:uuid}", dependencies=WRITE, openapi_extra=MERGE_PATCH)
async def patch_note(
    note_id: UUID,
    call: CallDep,
    if_match: IfMatchDep = None,
    body: Annotated[Any, Body()] = None,
) -> NoteRead:
    return NOTE.one(call.actor, await service.patch(call, note_id, body, if_match=if_match))


@router.delete("/notes/{note_id:uuid}", status_code=status.HTTP_204_NO_CONTENT, dependencies=WRITE)
async def delete_note(note_id: UUID, call: CallDep, if_match: IfMatchDep = None) -> None:
    await service.delete(call, note_id, if_match=if_match)
