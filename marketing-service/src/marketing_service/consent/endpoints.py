"""Public consent routes: one-click unsubscribe (RFC 8058) and the preference endpoint.
The signed token in the link is the credential; one that does not verify is a 404."""

from typing import Any
from uuid import UUID

from crm_chassis.db import SessionDep
from crm_chassis.errors import NotFound
from crm_chassis.openapi import PUBLIC
from crm_chassis.schemas import Strict
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from marketing_service.consent import service
from marketing_service.signing import verify

router = APIRouter(prefix="/v1", tags=["consent"])


class PreferencesWrite(Strict):
    purposes: dict[str, bool]


def _token(request: Request, purpose: str, token: str) -> dict[str, Any]:
    secret = request.app.state.settings.signing_secret.get_secret_value()
    payload = verify(secret, purpose, token)
    if payload is None:
        raise NotFound("No such link")
    return payload


@router.post(
    "/unsubscribe/{token}", summary="One-click unsubscribe (RFC 8058)", openapi_extra=PUBLIC
)
async def unsubscribe(token: str, request: Request, session: SessionDep) -> dict[str, Any]:
    """What a mail client posts (``List-Unsubscribe=One-Click``), or the page's button."""
    t = _token(request, "unsubscribe", token)
    await service.unsubscribe(
        session,
        UUID(t["t"]),
        UUID(t["c"]),
        t["ch"],
        t["p"],
        source="one_click",
        message_id=UUID(t["m"]) if t.get("m") else None,
    )
    return {"unsubscribed": True, "channel": t["ch"], "purpose": t["p"]}


@router.get(
    "/unsubscribe/{token}",
    response_class=HTMLResponse,
    summary="Unsubscribe page",
    openapi_extra=PUBLIC,
)
async def unsubscribe_page(token: str, request: Request) -> str:
    """A page with one button (a GET never unsubscribes: link scanners follow GETs)."""
    _token(request, "unsubscribe", token)
    return (
        "<!doctype html><title>Unsubscribe</title><form method=post>"
        "<p>Stop these emails?</p><button type=submit>Unsubscribe</button></form>"
    )


@router.get(
    "/preferences/{token}",
    summary="A recipient's subscription preferences",
    openapi_extra=PUBLIC,
)
async def get_preferences(token: str, request: Request, session: SessionDep) -> dict[str, Any]:
    t = _token(request, "preferences", token)
    purposes = await service.preferences(session, UUID(t["t"]), UUID(t["c"]), t["ch"], t["p"])
    return {"channel": t["ch"], "purposes": purposes}


@router.put("/preferences/{token}", summary="Change subscription preferences", openapi_extra=PUBLIC)
async def put_preferences(
    token: str, body: PreferencesWrite, request: Request, session: SessionDep
) -> dict[str, Any]:
    t = _token(request, "preferences", token)
    tenant_id, contact_id = UUID(t["t"]), UUID(t["c"])
    await service.set_preferences(session, tenant_id, contact_id, t["ch"], body.purposes)
    return {"channel": t["ch"], "purposes": body.purposes}
