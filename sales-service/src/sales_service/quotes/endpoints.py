from typing import Annotated, Any
from uuid import UUID

from crm_chassis.auth import require_scope
from crm_chassis.crud import CallDep
from crm_chassis.http import IfMatchDep
from crm_chassis.internal_http import InternalCallsDep
from crm_chassis.openapi import MERGE_PATCH
from crm_chassis.pagination import Page, PageParamsDep
from fastapi import APIRouter, Body, Response
from fastapi.responses import HTMLResponse

from sales_service.quotes import document, service
from sales_service.quotes.repository import QuoteRepository
from sales_service.quotes.schemas import QuoteRead, QuoteSend, QuoteWrite

READ, WRITE = [require_scope("sales:read")], [require_scope("sales:write")]
VIEW = service.VIEW
router = APIRouter(prefix="/v1/quotes", tags=["quotes"])


@router.post("", dependencies=WRITE, status_code=201, response_model=QuoteRead)
async def create_quote(body: QuoteWrite, call: CallDep) -> Response:
    """A draft quote of a deal, from lines, a configuration, or the deal's line items."""
    return VIEW.created(call.actor, await service.create(call, body))


@router.get("", dependencies=READ, response_model=Page[QuoteRead])
async def list_quotes(call: CallDep, page: PageParamsDep) -> Response:
    return VIEW.page(call.actor, *await QuoteRepository(call.session, call.actor).page(page))


@router.get("/{id:uuid}", dependencies=READ, response_model=QuoteRead)
async def get_quote(id: UUID, call: CallDep) -> Response:
    return VIEW.one(call.actor, await QuoteRepository(call.session, call.actor).require(id))


@router.patch("/{id:uuid}", dependencies=WRITE, response_model=QuoteRead, openapi_extra=MERGE_PATCH)
async def patch_quote(
    id: UUID, call: CallDep, if_match: IfMatchDep = None, body: Annotated[Any, Body()] = None
) -> Response:
    """Change a draft (its lines are replaced as a whole; totals are recomputed)."""
    return VIEW.one(call.actor, await service.patch(call, id, body, if_match))


@router.post("/{id:uuid}/revisions", dependencies=WRITE, status_code=201, response_model=QuoteRead)
async def revise_quote(id: UUID, call: CallDep) -> Response:
    """A new draft revision of the quote, under the same number."""
    return VIEW.created(call.actor, await service.revise(call, id))


@router.post("/{id:uuid}/send", dependencies=WRITE, response_model=QuoteRead)
async def send_quote(
    id: UUID,
    call: CallDep,
    calls: InternalCallsDep,
    body: Annotated[QuoteSend | None, Body()] = None,
    if_match: IfMatchDep = None,
) -> Response:
    """Mail the quote (its HTML, and its PDF attached) and mark it sent. The recipient is
    ``to``, or the email of the deal's contact; a quote the relay refuses stays a draft."""
    to = body.to if body is not None else None
    return VIEW.one(call.actor, await service.send(call, id, if_match, to=to, calls=calls))


@router.post("/{id:uuid}/accept", dependencies=WRITE, response_model=QuoteRead)
async def accept_quote(id: UUID, call: CallDep, if_match: IfMatchDep = None) -> Response:
    """Accept: the deal takes the quote's lines and total, and an order is placed."""
    return VIEW.one(call.actor, await service.decide(call, id, "accepted", if_match))


@router.post("/{id:uuid}/reject", dependencies=WRITE, response_model=QuoteRead)
async def reject_quote(id: UUID, call: CallDep, if_match: IfMatchDep = None) -> Response:
    return VIEW.one(call.actor, await service.decide(call, id, "rejected", if_match))


@router.get("/{id:uuid}/document.html", dependencies=READ, response_class=HTMLResponse)
async def quote_html(id: UUID, call: CallDep) -> HTMLResponse:
    quote = await QuoteRepository(call.session, call.actor).require(id)
    return HTMLResponse(document.html(quote))


@router.get("/{id:uuid}/document.pdf", dependencies=READ)
async def quote_pdf(id: UUID, call: CallDep) -> Response:
    quote = await QuoteRepository(call.session, call.actor).require(id)
    headers = {"Content-Disposition": f'inline; filename="{quote.number}-{quote.revision}.pdf"'}
    return Response(document.pdf(quote), media_type="application/pdf", headers=headers)
