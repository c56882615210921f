"""Ticket use cases (V1): each change writes its history entry, its events and the
re-timed SLA clock in the caller's transaction; none commits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from crm_chassis import jobs
from crm_chassis.crud import Call, View, changed_columns, load_for_update, patch_model
from crm_chassis.orm import utcnow
from crm_chassis.outbox import emit
from crm_chassis.pagination import PageParams

from support_service.routing.service import route
from support_service.sla import service as sla
from support_service.tickets import events
from support_service.tickets.custom_fields import check_custom
from support_service.tickets.models import Ticket, TicketMessage
from support_service.tickets.repository import (
    TicketEventRepository,
    TicketMessageRepository,
    TicketRepository,
)
from support_service.tickets.schemas import (
    AssignRequest,
    MessageWrite,
    TicketCreate,
    TicketFilters,
    TicketRead,
    TicketUpdate,
)
from support_service.tickets.transitions import check_transition

VIEW = View("ticket", TicketRead, path="/v1/tickets")
CLOSE_JOB = "support.ticket.close"
_TRACKED = ("priority", "queue_id", "owner_id", "type")


def _window(call: Call, name: str, default: timedelta) -> timedelta:
    return getattr(call.settings, name, None) or default


def repo(call: Call) -> TicketRepository:
    return TicketRepository(call.session, call.actor)


def history(call: Call) -> TicketEventRepository:
    return TicketEventRepository(call.session, call.actor)


async def create(
    call: Call, data: TicketCreate, *, at: datetime | None = None, by_agent: bool = False
) -> Ticket:
    """Open a ticket. Its custom values are checked against the tenant's definitions; the
    required ones only when an agent opens it (``by_agent``): an email, a call or the
    portal cannot name them."""
    at = at or utcnow()
    VIEW.check_writable(call.actor, data.model_dump(exclude_unset=True))
    await check_custom(call, data.custom, required=by_agent)
    tickets = repo(call)
    fields = data.model_dump(exclude={"description"})
    ticket = await tickets.add(
        Ticket(tenant_id=call.tenant_id, number=await tickets.next_number(), status="new", **fields)
    )
    history(call).add(ticket, "opened", {"status": "new", "channel": ticket.channel}, at=at,
                      actor_id=call.actor.user_id)  # fmt: skip
    await emit(call.session, events.created(ticket))
    if data.description:
        await add_customer_message(
            call, ticket, data.description, from_address=data.requester_email, at=at
        )
    if ticket.queue_id is not None and ticket.owner_id is None:
        await route(call, ticket, at=at)
    await sla.refresh(call, ticket, at)
    return ticket


async def get(call: Call, id_: UUID) -> Ticket:
    return await repo(call).require(id_)


async def page(
    call: Call, params: PageParams, filters: TicketFilters | None
) -> tuple[list[Ticket], str | None]:
    tickets = repo(call)
    return await tickets.page(params, None if filters is None else tickets.filtered(filters))


async def patch(call: Call, id_: UUID, body: Any, if_match: str | None) -> Ticket:
    tickets = repo(call)
    ticket = await load_for_update(tickets, id_, if_match)
    model, _ = patch_model(VIEW, call.actor, ticket, TicketUpdate, body)
    new = model.model_dump(mode="python")
    changed = changed_columns(ticket, new)
    if not changed:
        return ticket
    if "custom" in changed:
        await check_custom(call, new["custom"])
    at = utcnow()
    status = new.pop("status")
    previous_owner = ticket.owner_id
    for name in _TRACKED:
        if name in changed:
            history(call).add(ticket, name, {"from": _json(getattr(ticket, name)),
                                             "to": _json(new[name])}, at=at,
                              actor_id=call.actor.user_id)  # fmt: skip
    for name in changed:
        if name != "status":
            setattr(ticket, name, new[name])
    tickets.check_holdable(ticket)
    if "status" in changed:
        await move(call, ticket, status, at=at, emit_update=False)
    await call.session.flush()
    await emit(call.session, events.updated(ticket, changed))
    if "owner_id" in changed or "queue_id" in changed:
        await emit(call.session, events.assigned(ticket, previous_owner, "set by a user"))
    await sla.refresh(call, ticket, at)
    return ticket


def _json(value: Any) -> Any:
    return str(value) if isinstance(value, UUID) else value


async def move(
    call: Call, ticket: Ticket, status: str, *, at: datetime, emit_update: bool = True
) -> None:
    """Move ``ticket`` to ``status`` (409 when not allowed), with its history, events and
    the auto-close job of a solved ticket."""
    reopen = _window(call, "reopen_window", timedelta(days=7))
    check_transition(ticket.status, status, solved_at=ticket.solved_at, now=at,
                     reopen_window=reopen)  # fmt: skip
    was, ticket.status = ticket.status, status
    reopened = was == "solved"
    history(call).add(ticket, "status", {"from": was, "to": status}, at=at,
                      actor_id=call.actor.user_id)  # fmt: skip
    close_key = f"{CLOSE_JOB}:{ticket.id}"
    if status == "solved":
        from support_service.csat.service import request_survey

        ticket.solved_at = at
        await request_survey(call, ticket)
        await jobs.schedule(
            call.session, kind=CLOSE_JOB, tenant_id=call.tenant_id, dedupe_key=close_key,
            due_at=at + _window(call, "close_after", timedelta(days=4)),
            payload={"ticket_id": str(ticket.id)}, replace=True,
        )  # fmt: skip
    elif status == "closed":
        ticket.closed_at = at
    if reopened and status != "closed":
        ticket.solved_at = None
        await jobs.cancel(call.session, tenant_id=call.tenant_id, dedupe_key=close_key)
    await call.session.flush()
    await emit(call.session, events.status_changed(ticket, was, reopened and status == "open"))
    if emit_update:
        await emit(call.session, events.updated(ticket, ["status"]))


async def add_agent_message(call: Call, id_: UUID, data: MessageWrite) -> TicketMessage:
    """An agent's public reply (sent to the requester on the email channel) or note."""
    ticket = await repo(call).require(id_, for_update=True)
    at = utcnow()
    message = await _message(call, ticket, "agent", data.body, public=data.public, at=at)
    if data.public and ticket.channel == "email" and ticket.requester_email:
        from support_service.email.outbound import queue_reply

        await queue_reply(call, ticket, message)
    target = data.status or ("open" if data.public and ticket.status == "new" else None)
    if target is not None and target != ticket.status:
        await move(call, ticket, target, at=at)
    await sla.refresh(call, ticket, at)
    return message


async def add_customer_message(
    call: Call,
    ticket: Ticket,
    body: str,
    *,
    from_address: str | None = None,
    message_id: str | None = None,
    at: datetime | None = None,
) -> TicketMessage:
    """The requester wrote: a pending or solved ticket opens again."""
    at = at or utcnow()
    message = await _message(call, ticket, "customer", body, public=True, at=at,
                             from_address=from_address, message_id=message_id)  # fmt: skip
    if ticket.status in ("pending", "solved"):
        await move(call, ticket, "open", at=at)
    return message


async def _message(
    call: Call, ticket: Ticket, author: str, body: str, *, public: bool, at: datetime, **kw: Any
) -> TicketMessage:
    message = TicketMessage(
        tenant_id=call.tenant_id, ticket_id=ticket.id, author=author, public=public, body=body,
        author_id=call.actor.user_id if author == "agent" else None, created_at=at, **kw,
    )  # fmt: skip
    call.session.add(message)
    await call.session.flush()
    history(call).add(ticket, "message", {"author": author, "public": public,
                                          "message_id": str(message.id)}, at=at,
                      actor_id=message.author_id)  # fmt: skip
    await emit(call.session, events.message_added(ticket, message))
    return message


async def messages(call: Call, id_: UUID) -> list[TicketMessage]:
    await repo(call).require(id_)
    return await TicketMessageRepository(call.session, call.actor).of(id_)


async def history_of(call: Call, id_: UUID) -> list[Any]:
    await repo(call).require(id_)
    return await history(call).of(id_)


async def assign(call: Call, id_: UUID, data: AssignRequest) -> Ticket:
    tickets = repo(call)
    ticket = await tickets.require(id_, for_update=True)
    at = utcnow()
    previous = ticket.owner_id
    if data.queue_id is not None:
        ticket.queue_id = data.queue_id
    if data.owner_id is not None:
        ticket.owner_id = data.owner_id
        tickets.check_holdable(ticket)
        history(call).add(ticket, "assigned", {"queue_id": _json(ticket.queue_id),
                                               "assignee_id": str(data.owner_id),
                                               "reason": "assigned by a user"},
                          at=at, actor_id=call.actor.user_id)  # fmt: skip
        await call.session.flush()
        await emit(call.session, events.assigned(ticket, previous, "assigned by a user"))
    else:
        await route(call, ticket, at=at)
    await sla.refresh(call, ticket, at)
    return ticket


async def delete(call: Call, id_: UUID, if_match: str | None) -> None:
    tickets = repo(call)
    ticket = await load_for_update(tickets, id_, if_match)
    for key in (f"{CLOSE_JOB}:{ticket.id}",):
        await jobs.cancel(call.session, tenant_id=call.tenant_id, dedupe_key=key)
    await emit(call.session, events.deleted(ticket))
    await tickets.delete(ticket)
