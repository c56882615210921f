from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from crm_chassis.crud import CallDep
from crm_chassis.crud_routes import crud_router
from crm_chassis.internal_http import InternalCallsDep
from fastapi import APIRouter, Body, Query, Response

from support_service.calls import service
from support_service.calls.schemas import E164, CallFilters, DialTarget, ScreenPop
from support_service.deps import READ, WRITE
from support_service.tickets.schemas import TicketRead
from support_service.tickets.service import VIEW as TICKET_VIEW

router = APIRouter(prefix="/v1/calls", tags=["calls"])
_PROBLEM = {"application/problem+json": {"schema": {"type": "object"}}}
UPSTREAM: dict[int | str, dict[str, Any]] = {
    502: {"description": "contacts-service failed", "content": _PROBLEM},
    503: {"description": "contacts-service is unreachable or not configured",
          "content": _PROBLEM},
}  # fmt: skip


@router.get("/screen-pop", dependencies=READ, responses=UPSTREAM)
async def screen_pop(call: CallDep, calls: InternalCallsDep,
                     number: Annotated[E164, Query()]) -> ScreenPop:  # fmt: skip
    """Who is calling: contacts with this number (contacts-service) and their open tickets."""
    return await service.screen_pop(call, calls, number)


@router.get("/dial", dependencies=READ, responses=UPSTREAM)
async def dial(calls: InternalCallsDep, contact_id: UUID) -> DialTarget:
    """Click-to-dial data for a contact: its numbers as ``tel:`` URIs."""
    return await service.dial_target(calls, contact_id)


@router.post("/{id:uuid}/ticket", status_code=201, response_model=TicketRead, dependencies=WRITE)
async def open_ticket(
    id: UUID, call: CallDep, subject: Annotated[str | None, Body(embed=True, max_length=500)] = None
) -> Response:
    """Open a ticket from the call (channel phone, the caller as requester)."""
    return TICKET_VIEW.created(call.actor, await service.open_ticket(call, id, subject))


crud = crud_router(service.CALLS, scope="support", tags=["calls"], filters=CallFilters)
