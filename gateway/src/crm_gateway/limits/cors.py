"""CORS configured per tenant (``PATCH /v1/tenants/{id}`` by the operator: ``cors_origins``).

A preflight carries no token, so it is answered for an origin that any tenant allows;
the actual request carries the token, and its response allows the origin only if the
caller's tenant lists it (without ``Access-Control-Allow-Origin`` the browser withholds
the response). Origins are read from the database and kept for ``ttl`` seconds; the
operator's change takes effect at once on the replica that made it.
"""

from __future__ import annotations

import time
from uuid import UUID

from crm_chassis.errors import CRMError, problem_body
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crm_gateway.identity.models import Tenant

EXPOSED = "ETag, Location, Retry-After, RateLimit, RateLimit-Policy, X-Request-Id"
METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"


class TenantOrigins:
    """The allowed origins of every tenant, cached."""

    def __init__(self, ttl: float = 30.0) -> None:
        self.ttl = ttl
        self._by_tenant: dict[UUID, frozenset[str]] = {}
        self._any: frozenset[str] = frozenset()
        self._loaded_at = -ttl

    def invalidate(self) -> None:
        self._loaded_at = -self.ttl

    async def load(self, engine: AsyncEngine) -> None:
        if time.monotonic() - self._loaded_at < self.ttl:
            return
        stmt = select(Tenant.id, Tenant.cors_origins).where(Tenant.cors_origins != [])
        async with engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        self._by_tenant = {r.id: frozenset(r.cors_origins) for r in rows}
        self._any = frozenset().union(*self._by_tenant.values()) if rows else frozenset()
        self._loaded_at = time.monotonic()

    def any_allows(self, origin: str) -> bool:
        return origin in self._any

    def tenant_allows(self, tenant_id: UUID, origin: str) -> bool:
        return origin in self._by_tenant.get(tenant_id, frozenset())


def _header(scope: Scope, name: bytes) -> str | None:
    value = next((v for n, v in scope["headers"] if n == name), None)
    return value.decode("latin-1") if value is not None else None


class TenantCorsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = _header(scope, b"origin") if scope["type"] == "http" else None
        if origin is None:
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        origins: TenantOrigins = state.cors
        try:
            await origins.load(state.engine)
        except Exception:  # the database is down: no CORS, the request itself goes on
            await self.app(scope, receive, send)
            return
        preflight = scope["method"] == "OPTIONS" and _header(
            scope, b"access-control-request-method"
        )
        if preflight:
            await self._preflight(scope, receive, send, origin, origins)
            return
        allowed = False
        authorization = _header(scope, b"authorization")
        if authorization is not None:
            try:
                actor = state.tokens.principal(authorization)
                allowed = origins.tenant_allows(actor.tenant_id, origin)
            except CRMError:
                allowed = False

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.add_vary_header("Origin")
                if allowed:
                    headers["Access-Control-Allow-Origin"] = origin
                    headers["Access-Control-Expose-Headers"] = EXPOSED
            await send(message)

        await self.app(scope, receive, with_cors)

    async def _preflight(
        self, scope: Scope, receive: Receive, send: Send, origin: str, origins: TenantOrigins
    ) -> None:
        if not origins.any_allows(origin):
            body = problem_body(
                403, "Forbidden", f"The origin {origin} is not allowed", type_="forbidden"
            )
            refused = JSONResponse(
                body, 403, media_type="application/problem+json", headers={"Vary": "Origin"}
            )
            await refused(scope, receive, send)
            return
        requested = _header(scope, b"access-control-request-headers") or ""
        response = Response(
            status_code=204,
            headers={
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": METHODS,
                "Access-Control-Allow-Headers": requested,
                "Access-Control-Max-Age": "600",
                "Vary": "Origin",
            },
        )
        await response(scope, receive, send)
