"""The catch-all route: ``/v1/<service resource>/...`` is verified and sent on.

The route never matches the gateway's own prefixes, so the router answers those the usual
way (405 for ``GET /v1/auth/token``); any other first segment is looked up in the route
table learned from the services' OpenAPI (:mod:`crm_gateway.proxy.routes`), and one no
service claims is a 404 problem.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from crm_chassis.auth import VerifiedTokens
from crm_chassis.errors import BadGateway, GatewayTimeout, NotFound
from crm_chassis.middleware import body_limit
from fastapi import APIRouter
from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request

from crm_gateway.limits.breaker import CircuitBreakers
from crm_gateway.proxy.client import UpstreamClient, UpstreamResponse
from crm_gateway.proxy.routes import GATEWAY_PREFIXES, RouteTable

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


class ServicePathConvertor(Convertor[str]):
    """Matches ``<segment>`` or ``<segment>/<anything>`` unless the segment is the
    gateway's own."""

    regex: ClassVar[str] = (
        "(?!(?:"
        + "|".join(re.escape(p) for p in sorted(GATEWAY_PREFIXES, key=len, reverse=True))
        + ")(?:/|$))[^/]+(?:/.*)?"
    )

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: Any) -> str:
        return str(value)


# Starlette compiles route paths against a process-wide table of convertors.
register_url_convertor("crm_service_path", ServicePathConvertor())


async def proxy(request: Request) -> UpstreamResponse:
    """Forward the request to the service owning its path, once its token is valid (or
    the service declares the operation public)."""
    state = request.app.state
    path = request.scope["path"]
    routes: RouteTable = state.routes
    service = routes.service_for(path)
    if service is None and await state.openapi.relearn():  # a resource new since
        service = routes.service_for(path)
    header = request.headers.get("authorization")
    if header is not None or not routes.is_public(request.method, path):
        # The gateway verifies first (401 here, cheaply); the service verifies again.
        tokens: VerifiedTokens = state.tokens
        request.state.actor = tokens.principal(header)
    if service is None:
        raise NotFound(f"No service answers {path}")
    breakers: CircuitBreakers = state.breakers
    breakers.check(service)
    upstreams: UpstreamClient = state.upstreams
    try:
        response = await upstreams.forward(request, service=service)
    except (BadGateway, GatewayTimeout):
        breakers.record(service, ok=False)
        raise
    breakers.record(service, ok=response.status_code < 500)
    return response


router = APIRouter()
# Import files of any size stream through to contacts-service, which applies its own
# (configurable) limit; the edge only refuses the absurd.
router.add_api_route(
    "/v1/imports",
    proxy,
    methods=["POST"],
    include_in_schema=False,
    openapi_extra=body_limit(64 * 1024**3),
)
# A plain Starlette route, not a FastAPI path operation: it has no parameters to parse
# and no body to validate, and skipping that machinery is measurably faster per request.
router.add_route("/v1/{target:crm_service_path}", proxy, methods=METHODS, include_in_schema=False)
