"""Tracking routes. The open pixel and the click redirect are public (the token is the
credential; a token that does not verify is a 404); ``/v1/track`` takes the tenant's
public key (browsers) or a token with ``marketing:write`` (servers)."""

import base64
from typing import Annotated, Any
from uuid import UUID

from crm_chassis.auth import require_scope
from crm_chassis.crud import CallDep
from crm_chassis.db import SessionDep, transaction
from crm_chassis.errors import NotFound
from crm_chassis.openapi import PUBLIC
from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import RedirectResponse

from marketing_service.signing import verify
from marketing_service.tracking import service
from marketing_service.tracking.schemas import TouchpointRead, TrackBatch

router = APIRouter(prefix="/v1", tags=["tracking"])
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _token(request: Request, purpose: str, token: str) -> dict[str, Any]:
    secret = request.app.state.settings.signing_secret.get_secret_value()
    payload = verify(secret, purpose, token)
    if payload is None:
        raise NotFound("No such link")
    return payload


@router.get("/t/o/{token}", summary="Open pixel", openapi_extra=PUBLIC)
async def open_pixel(token: str, request: Request) -> Response:
    payload = _token(request, "open", token)
    async with transaction(request.app.state.sessions) as session:
        await service.opened(session, payload)
    return Response(PIXEL, media_type="image/gif", headers={"Cache-Control": "no-store"})


@router.get("/t/c/{token}", summary="Click redirect", openapi_extra=PUBLIC)
async def click(token: str, request: Request) -> Response:
    payload = _token(request, "click", token)
    async with transaction(request.app.state.sessions) as session:
        url = await service.clicked(session, payload)
    return RedirectResponse(url, status_code=302)


@router.post("/track", status_code=202, summary="Behavioural events, batched", openapi_extra=PUBLIC)
async def track(
    body: TrackBatch,
    request: Request,
    session: SessionDep,
    x_tracking_key: Annotated[str | None, Header()] = None,
) -> dict[str, int]:
    """Page visits and custom events of known contacts, with the tenant's public key in
    ``X-Tracking-Key``, or a bearer token."""
    if x_tracking_key is None and request.headers.get("authorization"):
        actor = request.app.state.tokens.principal(request.headers["authorization"])
        if not actor.has_scope("marketing:write"):
            from crm_chassis.errors import Forbidden

            raise Forbidden("marketing:write is required")
        tenant_id = actor.tenant_id
    else:
        tenant_id = await service.tenant_of_key(session, x_tracking_key)
    return {"accepted": await service.track(session, tenant_id, body.events)}


@router.post("/tracking-keys", status_code=201, dependencies=[require_scope("marketing:write")])
async def create_tracking_key(call: CallDep) -> dict[str, str]:
    """A public key for the tenant's web pages to post ``/v1/track`` with."""
    return {"key": await service.new_key(call)}


@router.get("/contacts/{id:uuid}/touchpoints", dependencies=[require_scope("marketing:read")])
async def contact_touchpoints(
    id: UUID,
    call: CallDep,
    kind: Annotated[list[str] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Every touch of the contact, newest first (M8)."""
    rows = await service.contact_touchpoints(call, id, kind, limit)
    return {"data": [TouchpointRead.model_validate(r).model_dump(mode="json") for r in rows]}
