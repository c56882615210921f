"""Records every write (POST, PUT, PATCH, DELETE under ``/v1``) once it is answered.

Innermost of the gateway's middleware, so the request id is known and the status is the
one the client gets. The caller is the actor the route verified (``request.state.actor``)
or, for a request that failed before that, whatever a valid token says; a request without
a valid token is recorded without a tenant. The row is written after the response went
out, in its own short transaction: a failed write of the audit row is logged, never
turned into a failure of the request that already succeeded.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from crm_chassis import context
from crm_chassis.auth import Actor
from crm_chassis.errors import CRMError
from crm_chassis.orm import utcnow
from sqlalchemy import insert
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crm_gateway.audit.models import AuditEntry

log = logging.getLogger("crm.gateway.audit")
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_ID = re.compile(r"^[0-9a-fA-F-]{32,36}$")


def resource_of(path: str) -> tuple[str | None, str | None]:
    """``/v1/contacts/<uuid>/notes`` -> ``("contacts", "<uuid>")``."""
    parts = path.split("/")
    resource = parts[2] if len(parts) > 2 and parts[2] else None
    record = parts[3] if len(parts) > 3 and _ID.match(parts[3]) else None
    return resource, record


def _actor(scope: Scope) -> Actor | None:
    actor = scope.get("state", {}).get("actor")
    if actor is not None:
        return actor
    authorization = next((v for n, v in scope["headers"] if n == b"authorization"), None)
    if authorization is None:
        return None
    try:
        verified: Actor = scope["app"].state.tokens.principal(authorization.decode("latin-1"))
    except CRMError:
        return None
    return verified


class AuditMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in WRITES
            or not scope["path"].startswith("/v1/")
        ):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            await self._record(scope, status[0], started)

    async def _record(self, scope: Scope, status: int, started: float) -> None:
        actor = _actor(scope)
        resource, record = resource_of(scope["path"])
        client = scope.get("client")
        row: dict[str, Any] = {
            "tenant_id": actor.tenant_id if actor else None,
            "actor_id": actor.user_id if actor else None,
            "method": scope["method"],
            "path": scope["path"][:2048],
            "resource": resource[:100] if resource else None,
            "resource_id": record,
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000),
            "request_id": context.request_id.get(),
            "client": client[0] if client else None,
            "at": utcnow(),
        }
        try:
            async with scope["app"].state.engine.begin() as conn:
                await conn.execute(insert(AuditEntry).values(**row))
        except Exception as exc:
            log.error("audit entry not written (%s): %s %s", exc, row["method"], row["path"])
