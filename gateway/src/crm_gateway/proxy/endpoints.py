"""The catch-all route: ``/v1/<service resource>/...`` is verified and sent on.

The route matches only the prefixes of the route table, so the router itself answers the
rest the usual way: 404 problem for ``/v1/nope``, 405 for ``GET /v1/auth/token``.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from crm_chassis.auth import current_principal
from fastapi import APIRouter, Request
from starlette.convertors import Convertor, register_url_convertor

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

router = APIRouter(include_in_schema=False)


@router.api_route("/v1/{target:crm_service_path}", methods=METHODS)
async def proxy(request: Request) -> UpstreamResponse:
    """Forward the request to the service owning its path, once its token is valid."""
    # The gateway verifies first (401 here, cheaply); the service verifies again.
    current_principal(request)
    service = service_for(request.scope["path"])
    assert service is not None  # the route's convertor admits only routed prefixes
    upstreams: UpstreamClient = request.app.state.upstreams
    return await upstreams.forward(request, service=service)
