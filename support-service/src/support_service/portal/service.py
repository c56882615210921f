"""The self-service portal (V7): a requester, authenticated by a signed portal token,
submits tickets, follows their status and public messages, and searches published
articles. Every query is narrowed to the token's requester: another requester's ticket
is a 404 exactly like a missing one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from crm_chassis.auth import Actor
from crm_chassis.crud import Call
from crm_chassis.errors import NotFound
from sqlalchemy import or_

from support_service import signed_links
from support_service.tickets import service as tickets
from support_service.tickets.models import Ticket
from support_service.tickets.repository import TicketMessageRepository, TicketRepository
from support_service.tickets.schemas import TicketCreate

PURPOSE = "support-portal"


@dataclass(frozen=True)
class Requester:
    tenant_id: UUID
    contact_id: UUID | None
    email: str | None


def issue(secret: str, tenant_id: UUID, contact_id: UUID | None, email: str | None,
          days: int) -> tuple[str, datetime]:  # fmt: skip
    claims = {"t": str(tenant_id), "c": str(contact_id) if contact_id else None,
              "e": email.lower() if email else None}  # fmt: skip
    ttl = timedelta(days=days)
    return signed_links.sign(secret, PURPOSE, claims, ttl), datetime.now(UTC) + ttl


def requester_of(secret: str, token: str) -> Requester:
    claims = signed_links.verify(secret, PURPOSE, token)
    return Requester(UUID(claims["t"]), UUID(claims["c"]) if claims.get("c") else None,
                     claims.get("e"))  # fmt: skip


def as_call(call_session: Any, requester: Requester, settings: Any) -> Call:
    return Call(session=call_session, actor=Actor.system(requester.tenant_id), settings=settings)


def _theirs(requester: Requester) -> Any:
    mine = []
    if requester.contact_id is not None:
        mine.append(Ticket.requester_id == requester.contact_id)
    if requester.email:
        mine.append(Ticket.requester_email == requester.email)
    return or_(*mine)


async def list_tickets(call: Call, requester: Requester) -> list[Ticket]:
    repo = TicketRepository(call.session, call.actor)
    stmt = repo.select().where(_theirs(requester)).order_by(Ticket.created_at.desc()).limit(200)
    return await repo.list(stmt)


async def ticket(call: Call, requester: Requester, id_: UUID, *, lock: bool = False) -> Ticket:
    repo = TicketRepository(call.session, call.actor)
    stmt = repo.select().where(Ticket.id == id_, _theirs(requester))
    if lock:
        stmt = stmt.with_for_update()
    found = (await call.session.execute(stmt)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"No ticket {id_}")
    return found


async def public_messages(call: Call, ticket_id: UUID) -> list[Any]:
    return await TicketMessageRepository(call.session, call.actor).of(ticket_id, public_only=True)


async def submit(call: Call, requester: Requester, subject: str, description: str) -> Ticket:
    data = TicketCreate(subject=subject, description=description, channel="portal",
                        requester_id=requester.contact_id,
                        requester_email=requester.email)  # fmt: skip
    return await tickets.create(call, data)


async def write(call: Call, requester: Requester, id_: UUID, body: str) -> Any:
    from support_service.sla import service as sla

    found = await ticket(call, requester, id_, lock=True)
    message = await tickets.add_customer_message(call, found, body, from_address=requester.email)
    await sla.refresh(call, found)
    return message
