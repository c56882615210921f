"""The inbound email channel: a raw message opens a ticket or threads onto its ticket."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import UUID

from crm_chassis.crud import Call
from crm_chassis.storage import ObjectStore
from sqlalchemy import select

from support_service.attachments.service import store_attachment
from support_service.email.parsing import Inbound, parse
from support_service.sla import service as sla
from support_service.tickets import service as tickets
from support_service.tickets.models import Ticket, TicketMessage
from support_service.tickets.repository import TicketMessageRepository, TicketRepository
from support_service.tickets.schemas import TicketCreate


@dataclass(frozen=True)
class Received:
    ticket: Ticket
    message: TicketMessage
    threaded: bool
    duplicate: bool = False


async def receive(call: Call, raw: bytes, store: ObjectStore | None = None) -> Received:
    """Thread ``raw`` onto the ticket it answers (by In-Reply-To / References, or a
    ``[#number]`` in the subject from the requester), else open a ticket. A message
    delivered twice (providers retry) is taken once."""
    mail = parse(raw)
    messages = TicketMessageRepository(call.session, call.actor)
    if mail.message_id is not None:
        seen = await _by_message_id(call, mail.message_id)
        if seen is not None:
            ticket = await TicketRepository(call.session, call.actor).require(seen.ticket_id)
            return Received(ticket, seen, threaded=True, duplicate=True)
    ticket = await _thread_of(call, mail, await messages.ticket_of_message_ids(mail.answers))
    if ticket is not None:
        threaded = True
    else:
        data = TicketCreate(subject=mail.subject, channel="email", requester_email=mail.sender)
        ticket, threaded = await tickets.create(call, data), False
    message = await tickets.add_customer_message(
        call, ticket, mail.body, from_address=mail.sender, message_id=mail.message_id
    )
    for filename, content_type, content in mail.attachments if store is not None else ():
        await store_attachment(call, store, ticket.id, filename=filename,
                               content_type=content_type, chunks=_once(content),
                               message_id=message.id)  # fmt: skip
    await sla.refresh(call, ticket)
    return Received(ticket, message, threaded=threaded)


async def _once(content: bytes) -> AsyncIterator[bytes]:
    yield content


async def _by_message_id(call: Call, message_id: str) -> TicketMessage | None:
    stmt = select(TicketMessage).where(
        TicketMessage.tenant_id == call.tenant_id, TicketMessage.message_id == message_id
    )
    return (await call.session.execute(stmt)).scalars().first()


async def _thread_of(call: Call, mail: Inbound, ticket_id: UUID | None) -> Ticket | None:
    repo = TicketRepository(call.session, call.actor)
    ticket = None
    if ticket_id is not None:
        ticket = await repo.get(ticket_id, for_update=True)
    elif mail.ticket_number is not None:
        stmt = repo.select().where(
            Ticket.number == mail.ticket_number, Ticket.requester_email == mail.sender
        )
        ticket = (await call.session.execute(stmt.with_for_update())).scalar_one_or_none()
    if ticket is None or ticket.status == "closed":
        return None  # a reply to a closed ticket opens a new one
    if ticket.status == "solved" and not _reopenable(call, ticket):
        return None
    return ticket


def _reopenable(call: Call, ticket: Ticket) -> bool:
    from datetime import timedelta

    from crm_chassis.orm import utcnow

    window = getattr(call.settings, "reopen_window", None) or timedelta(days=7)
    return ticket.solved_at is None or utcnow() - ticket.solved_at <= window
