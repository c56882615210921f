"""Portal routes: authenticated by ``X-Portal-Token`` (a signed token for one requester),
not by a user's bearer token; agents issue tokens with ``POST /v1/portal/tokens``."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from crm_chassis.crud import Call, CallDep
from crm_chassis.db import SessionDep
from crm_chassis.errors import Unauthorized
from crm_chassis.openapi import PUBLIC
from fastapi import APIRouter, Depends, Header, Query, Request

from support_service.deps import WRITE
from support_service.knowledge import service as knowledge
from support_service.knowledge.repository import ArticleRepository
from support_service.knowledge.schemas import ArticleHit, PublishedArticle
from support_service.portal import service
from support_service.portal.schemas import (
    PortalMessage,
    PortalMessageWrite,
    PortalTicket,
    PortalTicketCreate,
    PortalTicketDetail,
    PortalToken,
    PortalTokenRequest,
)

router = APIRouter(prefix="/v1/portal", tags=["portal"])


@router.post("/tokens", status_code=201, dependencies=WRITE)
async def issue_portal_token(body: PortalTokenRequest, call: CallDep) -> PortalToken:
    """A portal token for one requester (by contact id and/or email address)."""
    token, expires = service.issue(call.settings.jwt_secret, call.tenant_id, body.requester_id,
                                   body.requester_email, body.days)  # fmt: skip
    return PortalToken(token=token, expires_at=expires)


async def _portal(
    request: Request,
    session: SessionDep,
    x_portal_token: Annotated[str | None, Header(max_length=2000)] = None,
) -> tuple[Call, service.Requester]:
    if not x_portal_token:
        raise Unauthorized("An X-Portal-Token header is required")
    settings = request.app.state.settings
    requester = service.requester_of(settings.jwt_secret, x_portal_token)
    return service.as_call(session, requester, settings), requester


PortalDep = Annotated[tuple[Call, service.Requester], Depends(_portal)]


@router.get("/tickets", openapi_extra=PUBLIC)
async def my_tickets(portal: PortalDep) -> list[PortalTicket]:
    return [PortalTicket.model_validate(t) for t in await service.list_tickets(*portal)]


@router.post("/tickets", status_code=201, openapi_extra=PUBLIC)
async def submit_ticket(body: PortalTicketCreate, portal: PortalDep) -> PortalTicket:
    call, requester = portal
    ticket = await service.submit(call, requester, body.subject, body.description)
    return PortalTicket.model_validate(ticket)


@router.get("/tickets/{id:uuid}", openapi_extra=PUBLIC)
async def my_ticket(id: UUID, portal: PortalDep) -> PortalTicketDetail:
    call, requester = portal
    ticket = await service.ticket(call, requester, id)
    messages = [PortalMessage.model_validate(m) for m in await service.public_messages(call, id)]
    return PortalTicketDetail(**PortalTicket.model_validate(ticket).model_dump(), messages=messages)


@router.post("/tickets/{id:uuid}/messages", status_code=201, openapi_extra=PUBLIC)
async def write_message(id: UUID, body: PortalMessageWrite, portal: PortalDep) -> PortalMessage:
    return PortalMessage.model_validate(await service.write(*portal, id, body.body))


@router.get("/articles", openapi_extra=PUBLIC)
async def search_articles(
    portal: PortalDep, q: Annotated[str, Query(min_length=1, max_length=500)]
) -> list[ArticleHit]:
    return await knowledge.search(portal[0], q)


@router.get("/articles/{id:uuid}", openapi_extra=PUBLIC)
async def read_article(id: UUID, portal: PortalDep) -> PublishedArticle:
    call = portal[0]
    article = await ArticleRepository(call.session, call.actor).published(id)
    if article is None:
        from crm_chassis.errors import NotFound

        raise NotFound(f"No article {id}")
    return PublishedArticle.model_validate(article)
