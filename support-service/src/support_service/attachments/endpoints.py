"""Ticket attachments: the body is the file (its ``Content-Type``), streamed into the
chassis object store under a key the service chooses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated
from uuid import UUID

from crm_chassis.crud import CallDep
from crm_chassis.errors import NotFound, PayloadTooLarge, ValidationFailed
from crm_chassis.middleware import body_limit
from crm_chassis.storage import ObjectMissing, ObjectStore
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from support_service.attachments.models import TicketAttachment
from support_service.attachments.service import store_attachment
from support_service.deps import READ, WRITE
from support_service.tickets.repository import TicketMessageRepository, TicketRepository

router = APIRouter(prefix="/v1/tickets", tags=["tickets"])
MAX_BYTES = 25 * 1024**2


class AttachmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    ticket_id: UUID
    message_id: UUID | None
    filename: str
    content_type: str
    size: int
    created_at: datetime


async def _limited(request: Request) -> AsyncIterator[bytes]:
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > MAX_BYTES:
            raise PayloadTooLarge(f"An attachment is at most {MAX_BYTES} bytes")
        yield chunk


@router.post(
    "/{id:uuid}/attachments",
    status_code=201,
    dependencies=WRITE,
    openapi_extra=body_limit(MAX_BYTES),
)
async def upload_attachment(
    id: UUID,
    request: Request,
    call: CallDep,
    filename: Annotated[str, Query(min_length=1, max_length=255)],
    message_id: UUID | None = None,
) -> AttachmentRead:
    """Attach a file (the request body, typed by its ``Content-Type``) to a ticket."""
    ticket = await TicketRepository(call.session, call.actor).require(id)
    if message_id is not None:
        message = await TicketMessageRepository(call.session, call.actor).get(message_id)
        if message is None or message.ticket_id != ticket.id:
            raise ValidationFailed(
                "message_id is not a message of this ticket",
                errors=[{"field": "message_id", "message": "not found"}],
            )
    attachment = await store_attachment(
        call, request.app.state.object_store, ticket.id, filename=filename,
        content_type=request.headers.get("content-type", "application/octet-stream"),
        chunks=_limited(request), message_id=message_id,
    )  # fmt: skip
    return AttachmentRead.model_validate(attachment)


async def _attachments(call: CallDep, ticket_id: UUID) -> list[TicketAttachment]:
    await TicketRepository(call.session, call.actor).require(ticket_id)
    stmt = (
        select(TicketAttachment)
        .where(
            TicketAttachment.tenant_id == call.tenant_id, TicketAttachment.ticket_id == ticket_id
        )
        .order_by(TicketAttachment.created_at, TicketAttachment.id)
    )
    return list((await call.session.execute(stmt)).scalars())


@router.get("/{id:uuid}/attachments", dependencies=READ)
async def list_attachments(id: UUID, call: CallDep) -> list[AttachmentRead]:
    return [AttachmentRead.model_validate(a) for a in await _attachments(call, id)]


@router.get("/{id:uuid}/attachments/{attachment_id:uuid}/content", dependencies=READ)
async def download_attachment(
    id: UUID, attachment_id: UUID, request: Request, call: CallDep
) -> StreamingResponse:
    found = [a for a in await _attachments(call, id) if a.id == attachment_id]
    if not found:
        raise NotFound(f"No attachment {attachment_id}")
    store: ObjectStore = request.app.state.object_store
    try:
        chunks = await store.get_stream(found[0].key)
    except ObjectMissing as exc:
        raise NotFound(f"No content for attachment {attachment_id}") from exc
    disposition = f'attachment; filename="{found[0].filename}"'
    return StreamingResponse(
        chunks, media_type=found[0].content_type, headers={"Content-Disposition": disposition}
    )
