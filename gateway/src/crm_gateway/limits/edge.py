"""Request-size limits enforced before any other work: header bytes and count, URL
length and query parameter count, each refused with a problem+json (431, 414, 400).

The server (uvicorn) parses the request first; this middleware is the first thing that
runs after, so an oversized request never reaches token checks, routing or a service.
"""

from __future__ import annotations

from dataclasses import dataclass

from crm_chassis.errors import problem_body
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send


@dataclass(frozen=True)
class EdgeLimits:
    max_header_bytes: int = 16 * 1024
    max_headers: int = 100
    max_url_bytes: int = 8 * 1024
    max_query_params: int = 256


def _problem(status: int, title: str, detail: str, type_: str) -> JSONResponse:
    return JSONResponse(
        problem_body(status, title, detail, type_=type_),
        status_code=status,
        media_type="application/problem+json",
        headers={"Connection": "close"},
    )


def violation(scope: Scope, limits: EdgeLimits) -> JSONResponse | None:
    """The problem answering a request over a limit, or None."""
    headers = scope["headers"]
    if len(headers) > limits.max_headers:
        return _problem(
            431, "Request header fields too large",
            f"At most {limits.max_headers} header fields are accepted", "headers-too-large",
        )  # fmt: skip
    size = sum(len(n) + len(v) + 4 for n, v in headers)
    if size > limits.max_header_bytes:
        return _problem(
            431, "Request header fields too large",
            f"The headers take {size} bytes; at most {limits.max_header_bytes} are accepted",
            "headers-too-large",
        )  # fmt: skip
    path = scope.get("raw_path") or scope["path"].encode()
    query: bytes = scope.get("query_string", b"")
    if len(path) + len(query) + 1 > limits.max_url_bytes:
        return _problem(
            414, "URI too long",
            f"The URL is longer than {limits.max_url_bytes} bytes", "uri-too-long",
        )  # fmt: skip
    if query and query.count(b"&") + 1 > limits.max_query_params:
        return _problem(
            400, "Too many query parameters",
            f"At most {limits.max_query_params} query parameters are accepted",
            "too-many-parameters",
        )  # fmt: skip
    return None


class EdgeLimitsMiddleware:
    """Refuses oversized requests with a problem before the rest of the app runs."""

    def __init__(self, app: ASGIApp, limits: EdgeLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            problem = violation(scope, self.limits)
            if problem is not None:
                await problem(scope, receive, send)
                return
        await self.app(scope, receive, send)
