"""Storing a ticket's file: content into the object store under a key the service
chooses, the record and its event in the caller's transaction."""

from __future__ import annotations

import re
from collections.abc import AsyncIterable
from uuid import UUID

from crm_chassis.crud import Call
from crm_chassis.ids import new_id
from crm_chassis.outbox import emit
from crm_chassis.storage import ObjectStore
from crm_proto.events import support

from support_service.attachments.models import TicketAttachment
from support_service.events import SOURCE

_UNSAFE = re.compile(r"[^\w .()-]")


def safe_filename(name: str) -> str:
    return _UNSAFE.sub("_", name)[:255] or "attachment"


async def store_attachment(
    call: Call,
    store: ObjectStore,
    ticket_id: UUID,
    *,
    filename: str,
    content_type: str,
    chunks: AsyncIterable[bytes],
    message_id: UUID | None = None,
) -> TicketAttachment:
    attachment_id = new_id()
    key = f"{call.tenant_id}/tickets/{attachment_id}"
    size = await store.put_stream(key, chunks, content_type=content_type)
    attachment = TicketAttachment(
        id=attachment_id, tenant_id=call.tenant_id, ticket_id=ticket_id, message_id=message_id,
        filename=safe_filename(filename), content_type=content_type[:255], size=size, key=key,
        created_by=call.actor.user_id,
    )  # fmt: skip
    call.session.add(attachment)
    await call.session.flush()
    added = support.TicketAttachmentAdded(
        ticket_id=ticket_id, attachment_id=attachment.id, message_id=message_id,
        filename=attachment.filename, content_type=attachment.content_type, size=size,
    )  # fmt: skip
    event = SOURCE.event("crm.support.ticket.attachment_added.v1", added,
                         tenant_id=call.tenant_id, subject=ticket_id)  # fmt: skip
    await emit(call.session, event)
    return attachment
