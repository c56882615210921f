from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from crm_chassis.auth import PrincipalDep
from crm_chassis.db import SessionDep
from crm_chassis.http import IfMatchDep, set_etag
from crm_chassis.pagination import Page, PageParamsDep
from fastapi import APIRouter, Body, Query, Response, status

from contacts_service.deps import MERGE_PATCH, READ, WRITE
from contacts_service.notes import service
from contacts_service.notes.repository import NoteFilters
from contacts_service.notes.schemas import NoteRead, NoteWrite

router = APIRouter(prefix="/v1", tags=["notes"])


@router.post("/notes", status_code=status.HTTP_201_CREATED, dependencies=WRITE)
async def create_note(
    body: NoteWrite, session: SessionDep, principal: PrincipalDep, response: Response
) -> NoteRead:
    """Write a note on a contact and/or an account; the caller is its author."""
    note = await service.create(
        session=session, who=principal, author_id=principal.user_id, data=body
    )
    response.headers["Location"] = f"/v1/notes/{note.id}"
    set_etag(response, note.version)
    return NoteRead.model_validate(note)


@router.get("/notes", dependencies=READ)
async def list_notes(
    session: SessionDep,
    principal: PrincipalDep,
    page: PageParamsDep,
    contact_id: UUID | None = None,
    account_id: UUID | None = None,
    author_id: UUID | None = None,
    mentioned: Annotated[str | None, Query(max_length=200, description="a user id")] = None,
) -> Page[NoteRead]:
    filters = NoteFilters(
        contact_id=contact_id, account_id=account_id, author_id=author_id, mentioned=mentioned
    )
    rows, cursor = await service.list_page(
        session=session, who=principal, params=page, filters=filters
    )
    return Page(data=[NoteRead.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/contacts/{contact_id:uuid}/notes", dependencies=READ)
async def list_contact_notes(
    contact_id: UUID, session: SessionDep, principal: PrincipalDep, page: PageParamsDep
) -> Page[NoteRead]:
    await service.require_record(session, principal, "contact", contact_id)
    rows, cursor = await service.list_page(
        session=session,
        who=principal,
        params=page,
        filters=NoteFilters(contact_id=contact_id),
    )
    return Page(data=[NoteRead.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/accounts/{account_id:uuid}/notes", dependencies=READ)
async def list_account_notes(
    account_id: UUID, session: SessionDep, principal: PrincipalDep, page: PageParamsDep
) -> Page[NoteRead]:
    """Notes written on the account itself (its contacts' notes are on its timeline)."""
    await service.require_record(session, principal, "account", account_id)
    rows, cursor = await service.list_page(
        session=session,
        who=principal,
        params=page,
        filters=NoteFilters(account_id=account_id),
    )
    return Page(data=[NoteRead.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/notes/{note_id:uuid}", dependencies=READ)
async def get_note(
    note_id: UUID, session: SessionDep, principal: PrincipalDep, response: Response
) -> NoteRead:
    note = await service.get(session=session, who=principal, note_id=note_id)
    set_etag(response, note.version)
    return NoteRead.model_validate(note)


@router.patch("/notes/{note_id:uuid}", dependencies=WRITE, openapi_extra=MERGE_PATCH)
async def patch_note(
    note_id: UUID,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
    if_match: IfMatchDep = None,
    body: Annotated[Any, Body()] = None,
) -> NoteRead:
    note = await service.patch(
        session=session,
        who=principal,
        note_id=note_id,
        body=body,
        if_match=if_match,
    )
    set_etag(response, note.version)
    return NoteRead.model_validate(note)


@router.delete("/notes/{note_id:uuid}", status_code=status.HTTP_204_NO_CONTENT, dependencies=WRITE)
async def delete_note(
    note_id: UUID, session: SessionDep, principal: PrincipalDep, if_match: IfMatchDep = None
) -> None:
    await service.delete(session=session, who=principal, note_id=note_id, if_match=if_match)
