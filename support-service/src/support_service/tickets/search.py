"""What tickets let clients search and sort by, for the chassis search compiler."""

from __future__ import annotations

from typing import Any

from crm_chassis.crud import Call
from crm_chassis.custom_fields import search_fields
from crm_chassis.errors import ValidationFailed
from crm_chassis.search import (
    Kind,
    Resource,
    SearchRepository,
    SearchRequest,
    compile_filters,
    compile_sort,
    field,
    sort_field,
)

from support_service.tickets.custom_fields import definitions
from support_service.tickets.models import Ticket
from support_service.tickets.schemas import PRIORITIES

_STATUSES = ("new", "open", "pending", "on-hold", "solved", "closed")
_CHANNELS = ("email", "phone", "chat", "web", "portal")
_UUIDS = ("id", "requester_id", "organisation_id", "queue_id", "owner_id", "team_id", "policy_id")
_TIMES = ("created_at", "updated_at", "solved_at", "closed_at")

TICKETS = Resource(
    name="ticket",
    model=Ticket,
    fields={
        **{n: field(n, Kind.UUID, getattr(Ticket, n)) for n in _UUIDS},
        **{n: field(n, Kind.DATETIME, getattr(Ticket, n)) for n in _TIMES},
        "subject": field("subject", Kind.TEXT, Ticket.subject, nullable=False),
        "requester_email": field("requester_email", Kind.EMAIL, Ticket.requester_email),
        "status": field("status", Kind.ENUM, Ticket.status, nullable=False, options=_STATUSES),
        "priority": field("priority", Kind.ENUM, Ticket.priority, nullable=False,
                          options=PRIORITIES),
        "channel": field("channel", Kind.ENUM, Ticket.channel, nullable=False, options=_CHANNELS),
        "type": field("type", Kind.KEY, Ticket.type, nullable=False),
        "number": field("number", Kind.NUMBER, Ticket.number, nullable=False),
        "tags": field("tags", Kind.TAGS, Ticket.tags),
    },
    sorts={
        "created_at": sort_field("created_at", Kind.DATETIME, Ticket.created_at, nullable=False),
        "updated_at": sort_field("updated_at", Kind.DATETIME, Ticket.updated_at, nullable=False),
        "number": sort_field("number", Kind.NUMBER, Ticket.number, nullable=False),
    },
    custom=Ticket.custom,
)  # fmt: skip


async def search(call: Call, request: SearchRequest) -> tuple[list[Any], str | None]:
    """One page of the tickets matching ``request``; every mistake in one 422."""
    named = any(name.startswith("custom.") for name in request.fields_named())
    custom = search_fields(await definitions(call)) if named else {}
    where, errors = compile_filters(request.filter_groups, TICKETS, custom)
    sort, sort_errors = compile_sort(request.sort, TICKETS, custom)
    errors += sort_errors
    if (request.query or "").strip():
        errors.append({"field": "query", "message": "tickets have no free-text search"})
    if errors or sort is None:
        raise ValidationFailed("The search request is invalid", errors=errors)
    repo = SearchRepository(call.session, call.actor, Ticket)
    return await repo.page(where, sort, limit=request.limit, cursor=request.cursor)
