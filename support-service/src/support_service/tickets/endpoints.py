from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from crm_chassis.crud import CallDep
from crm_chassis.crud_routes import crud_router
from crm_chassis.http import IfMatchDep
from crm_chassis.openapi import MERGE_PATCH, inline_schema
from crm_chassis.orm import utcnow
from crm_chassis.pagination import Page, PageParamsDep
from crm_chassis.search import SearchRequest, parse_request
from fastapi import APIRouter, Body, Query, Response, status

from support_service.deps import READ, WRITE
from support_service.sla import service as sla
from support_service.sla.explain import SlaRead, explain
from support_service.tickets import search, service
from support_service.tickets.custom_fields import TICKET_FIELDS
from support_service.tickets.schemas import (
    AssignRequest,
    HistoryRead,
    MessageRead,
    MessageWrite,
    TicketCreate,
    TicketFilters,
    TicketRead,
)
from support_service.tickets.service import VIEW

router = APIRouter(prefix="/v1/tickets", tags=["tickets"])
fields_router = crud_router(TICKET_FIELDS, scope="support", tags=["tickets"])
SEARCH_BODY = {
    "requestBody": {
        "required": False,
        "content": {"application/json": {"schema": inline_schema(SearchRequest)}},
    }
}


@router.post("", status_code=201, response_model=TicketRead, dependencies=WRITE)
async def create_ticket(body: TicketCreate, call: CallDep) -> Response:
    """Open a ticket; with a queue and no assignee it is routed at once. Its ``custom``
    values are checked against the ticket fields (``/v1/ticket-fields``): 422 per field."""
    return VIEW.created(call.actor, await service.create(call, body, by_agent=True))


@router.get("", response_model=Page[TicketRead], dependencies=READ)
async def list_tickets(
    call: CallDep, page: PageParamsDep, filters: Annotated[TicketFilters, Query()]
) -> Response:
    """Tickets, filtered by status, queue, assignee, requester or priority."""
    return VIEW.page(call.actor, *await service.page(call, page, filters))


@router.post("/search", response_model=Page[TicketRead], dependencies=READ,
             openapi_extra=SEARCH_BODY)  # fmt: skip
async def search_tickets(call: CallDep, body: Annotated[Any, Body()] = None) -> Response:
    """Tickets by filter groups (OR of ANDs over the declared fields), keyset-paged."""
    request = parse_request(body)
    VIEW.check_readable(call.actor, request.fields_named())
    return VIEW.page(call.actor, *await search.search(call, request))


@router.get("/{id:uuid}", response_model=TicketRead, dependencies=READ)
async def get_ticket(id: UUID, call: CallDep) -> Response:
    return VIEW.one(call.actor, await service.get(call, id))


@router.patch("/{id:uuid}", response_model=TicketRead, dependencies=WRITE,
              openapi_extra=MERGE_PATCH)  # fmt: skip
async def patch_ticket(
    id: UUID, call: CallDep, if_match: IfMatchDep = None, body: Annotated[Any, Body()] = None
) -> Response:
    """Change a ticket; a status change must be an allowed transition (else 409)."""
    return VIEW.one(call.actor, await service.patch(call, id, body, if_match))


@router.delete("/{id:uuid}", status_code=status.HTTP_204_NO_CONTENT, dependencies=WRITE)
async def delete_ticket(id: UUID, call: CallDep, if_match: IfMatchDep = None) -> None:
    await service.delete(call, id, if_match)


@router.post("/{id:uuid}/messages", status_code=201, dependencies=WRITE)
async def add_message(id: UUID, body: MessageWrite, call: CallDep) -> MessageRead:
    """An agent's public reply (emailed to the requester on the email channel) or an
    internal note (``public: false``)."""
    return MessageRead.model_validate(await service.add_agent_message(call, id, body))


@router.get("/{id:uuid}/messages", dependencies=READ)
async def list_messages(id: UUID, call: CallDep) -> list[MessageRead]:
    return [MessageRead.model_validate(m) for m in await service.messages(call, id)]


@router.get("/{id:uuid}/history", dependencies=READ)
async def ticket_history(id: UUID, call: CallDep) -> list[HistoryRead]:
    """Every status change, assignment (with its reason), message and policy match."""
    return [HistoryRead.model_validate(e) for e in await service.history_of(call, id)]


@router.post("/{id:uuid}/assign", response_model=TicketRead, dependencies=WRITE)
async def assign_ticket(id: UUID, body: AssignRequest, call: CallDep) -> Response:
    """Assign to a user, or route by the queue's strategy (the reason is in the history)."""
    return VIEW.one(call.actor, await service.assign(call, id, body))


@router.get("/{id:uuid}/sla", dependencies=READ)
async def ticket_sla(id: UUID, call: CallDep) -> SlaRead:
    """Each SLA and OLA metric explained: target, business time elapsed, each pause, due
    time and remaining time (elapsed + remaining = target), and earlier measurements."""
    ticket = await service.get(call, id)
    rows = await service.history(call).of(ticket.id)
    # Never before the history's last entry (another replica's clock may run ahead).
    now = max([utcnow(), *(r.at for r in rows[-1:])])
    return explain(ticket.id, now, await sla.reports(call, ticket, rows, now))
