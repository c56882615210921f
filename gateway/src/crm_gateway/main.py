"""The gateway app: identity, the merged OpenAPI document, and the proxy to the services."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from crm_chassis.app import create_service_app
from crm_chassis.db import transaction
from fastapi import APIRouter, FastAPI
from starlette.routing import Route

from crm_gateway.identity.endpoints import router as identity_router
from crm_gateway.identity.service import bootstrap
from crm_gateway.openapi.endpoints import router as openapi_router
from crm_gateway.openapi.service import OpenApiAggregator
from crm_gateway.proxy.client import UpstreamClient
from crm_gateway.proxy.endpoints import router as proxy_router
from crm_gateway.settings import GatewaySettings

DESCRIPTION = (
    "One base URL for the whole CRM: get a token at `POST /v1/auth/token` with an API key, "
    "then call any `/v1/...` resource with `Authorization: Bearer <token>`."
)


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    """The gateway; ``uvicorn --factory crm_gateway.main:create_app``."""
    settings = settings or GatewaySettings()
    app = create_service_app(
        name="crm-gateway",
        settings=settings,
        # The proxy first: most requests are proxied, and its path pattern admits only
        # the services' prefixes, so it never hides one of the gateway's own routes.
        routers=[_startup(settings), proxy_router, openapi_router, identity_router],
        description=DESCRIPTION,
        # Idempotency-Key is honoured by the services, which see the header unchanged.
        idempotency=False,
    )
    _drop_builtin_openapi_route(app)
    return app


def _startup(settings: GatewaySettings) -> APIRouter:
    """A router carrying the gateway's lifespan: FastAPI runs it inside the chassis's,
    so the database is open by then."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        upstreams = UpstreamClient(
            settings.upstream_urls(),
            connect_timeout=settings.upstream_connect_timeout,
            read_timeout=settings.upstream_read_timeout,
            pool_size=settings.upstream_pool_size,
            keepalive_seconds=settings.upstream_keepalive_seconds,
        )
        await upstreams.open()
        app.state.upstreams = upstreams
        app.state.openapi = OpenApiAggregator(
            upstreams,
            ttl_seconds=settings.openapi_cache_seconds,
            fetch_timeout=settings.openapi_fetch_timeout,
        )
        try:
            if settings.bootstrap_api_key:
                async with transaction(app.state.sessions) as session:
                    await bootstrap(session=session, api_key=settings.bootstrap_api_key)
            yield
        finally:
            await upstreams.close()

    return APIRouter(lifespan=lifespan)


def _drop_builtin_openapi_route(app: FastAPI) -> None:
    """Remove FastAPI's own ``/openapi.json`` so the merged one answers there.

    FastAPI serves its document synchronously from ``app.openapi()``; the merged one
    needs to await the services. ``/docs`` keeps pointing at ``/openapi.json``.
    """
    app.router.routes[:] = [
        r for r in app.router.routes if not (type(r) is Route and r.path == app.openapi_url)
    ]
