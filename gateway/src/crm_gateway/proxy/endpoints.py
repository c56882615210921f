"""The catch-all route: ``/v1/<service resource>/...`` is verified and sent on.

The route matches only the prefixes of the route table, so the router itself answers the
rest the usual way: 404 problem for ``/v1/nope``, 405 for ``GET /v1/auth/token``.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from crm_chassis.auth import VerifiedTokens
from crm_chassis.middleware import body_limit
from fastapi import APIRouter
from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request

from crm_gateway.proxy.client import UpstreamClient, UpstreamResponse
from crm_gateway.proxy.routes import SERVICE_BY_PREFIX, service_for

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


class ServicePathConvertor(Convertor[str]):
    """Matches ``<known prefix>`` or ``<known prefix>/<anything>``."""

    regex: ClassVar[str] = (
        "(?:"
        + "|".join(re.escape(p) for p in sorted(SERVICE_BY_PREFIX, key=len, reverse=True))
        + ")(?:/.*)?"
    )

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: Any) -> str:
        return str(value)


# Starlette compiles route paths against a process-wide table of convertors.
register_url_convertor("crm_service_path", ServicePathConvertor())


async def proxy(request: Request) -> UpstreamResponse:
    """Forward the request to the service owning its path, once its token is valid."""
    # The gateway verifies first (401 here, cheaply); the service verifies again.
    tokens: VerifiedTokens = request.app.state.tokens
    request.state.principal = tokens.principal(request.headers.get("authorization"))
    service = service_for(request.scope["path"])
    assert service is not None  # the route's convertor admits only routed prefixes
    upstreams: UpstreamClient = request.app.state.upstreams
    return await upstreams.forward(request, service=service)


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
