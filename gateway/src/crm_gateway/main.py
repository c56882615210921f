"""The gateway app: identity, limits, audit, webhooks, the merged OpenAPI document, and the
proxy to the services."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from crm_chassis.app import create_service_app
from crm_chassis.db import transaction
from fastapi import APIRouter, FastAPI
from starlette.middleware import Middleware
from starlette.routing import Route

from crm_gateway.access.endpoints import router as access_router
from crm_gateway.audit.endpoints import router as audit_router
from crm_gateway.audit.middleware import AuditMiddleware
from crm_gateway.events.stream import router as events_router
from crm_gateway.identity.auth_endpoints import router as auth_router
from crm_gateway.identity.endpoints import router as identity_router
from crm_gateway.identity.oidc import OidcIssuer, OidcVerifier
from crm_gateway.identity.reset_mail import RESET_MAIL, ResetMailer
from crm_gateway.identity.service import bootstrap
from crm_gateway.identity.signing import Signer
from crm_gateway.identity.user_endpoints import router as users_router
from crm_gateway.limits.breaker import CircuitBreakers
from crm_gateway.limits.buckets import Buckets, Policy
from crm_gateway.limits.cors import TenantCorsMiddleware, TenantOrigins
from crm_gateway.limits.edge import EdgeLimits, EdgeLimitsMiddleware
from crm_gateway.limits.rate import RateLimitMiddleware
from crm_gateway.openapi.docs import serve_docs
from crm_gateway.openapi.endpoints import router as openapi_router
from crm_gateway.openapi.service import OpenApiAggregator
from crm_gateway.proxy.client import UpstreamClient
from crm_gateway.proxy.endpoints import router as proxy_router
from crm_gateway.proxy.routes import RouteTable
from crm_gateway.settings import GatewaySettings
from crm_gateway.webhooks.endpoints import router as webhooks_router

DESCRIPTION = (
    "One base URL for the whole CRM: get a token at `POST /v1/auth/login` (users), "
    "`POST /v1/auth/token` (an API key) or `POST /v1/oauth/token` (OAuth 2 client "
    "credentials), then call any `/v1/...` resource with `Authorization: Bearer <token>`."
)


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    """The gateway; ``uvicorn --factory crm_gateway.main:create_app``."""
    settings = settings or GatewaySettings()
    app = create_service_app(
        name="crm-gateway",
        settings=settings,
        # The proxy first: most requests are proxied, and its path pattern never matches
        # the gateway's own prefixes, so it hides none of the gateway's routes.
        routers=[
            _startup(settings),
            proxy_router,
            openapi_router,
            auth_router,
            identity_router,
            users_router,
            access_router,
            audit_router,
            webhooks_router,
            events_router,
        ],
        description=DESCRIPTION,
        job_handlers={RESET_MAIL: ResetMailer(settings)},
        # Idempotency-Key is honoured by the services, which see the header unchanged.
        idempotency=False,
    )
    _drop_builtin_openapi_route(app)
    serve_docs(app)
    _add_limits(app, settings)
    return app


def _add_limits(app: FastAPI, settings: GatewaySettings) -> None:
    """Edge size limits outermost (before any work); audit and rate limits innermost, so
    they see the request id and the final status."""
    window = settings.rate_limit_window_seconds
    app.user_middleware.append(Middleware(AuditMiddleware))
    if settings.rate_limits_enabled:
        app.user_middleware.append(
            Middleware(
                RateLimitMiddleware,
                per_key=Policy("key", settings.rate_limit_per_key, window),
                per_tenant=Policy("tenant", settings.rate_limit_per_tenant, window),
                per_address=Policy("address", settings.rate_limit_per_address, window),
            )
        )
    limits = EdgeLimits(
        max_header_bytes=settings.max_header_bytes,
        max_headers=settings.max_headers,
        max_url_bytes=settings.max_url_bytes,
        max_query_params=settings.max_query_params,
    )
    app.add_middleware(TenantCorsMiddleware)
    app.add_middleware(EdgeLimitsMiddleware, limits=limits)


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
        app.state.routes = RouteTable()
        app.state.breakers = CircuitBreakers(
            threshold=settings.breaker_threshold, open_seconds=settings.breaker_open_seconds
        )
        app.state.buckets = Buckets(app.state.engine)
        app.state.cors = TenantOrigins()
        app.state.oidc = OidcVerifier([OidcIssuer(**i) for i in settings.oidc_issuers])
        app.state.openapi = OpenApiAggregator(
            upstreams,
            ttl_seconds=settings.openapi_cache_seconds,
            fetch_timeout=settings.openapi_fetch_timeout,
            routes=app.state.routes,
        )
        # Learn the services' routes in the background: startup never waits for them.
        learning = asyncio.create_task(app.state.openapi.learn_all())
        signer = Signer(settings, app.state.tokens.keys)
        await signer.refresh(app.state.sessions)
        app.state.signer = signer
        rotating = asyncio.create_task(signer.keep_fresh(app.state.sessions))
        try:
            if settings.bootstrap_api_key:
                async with transaction(app.state.sessions) as session:
                    await bootstrap(session=session, api_key=settings.bootstrap_api_key)
            yield
        finally:
            learning.cancel()
            rotating.cancel()
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
