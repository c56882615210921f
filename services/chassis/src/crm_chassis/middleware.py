"""ASGI middleware every process installs: request context and body size limit."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crm_chassis import context
from crm_chassis.errors import PROBLEM_JSON, problem_body


def new_traceparent(trace_id: str | None = None) -> str:
    return f"00-{trace_id or secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


class RequestContextMiddleware:
    """Gives each request an id (``X-Request-Id``, echoed back) and a W3C ``traceparent``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        rid = headers.get(b"x-request-id", b"").decode("latin-1")[:128] or secrets.token_hex(8)
        tp = headers.get(b"traceparent", b"").decode("latin-1")
        if tp.count("-") != 3 or len(tp) != 55:
            tp = new_traceparent()
        rid_token = context.request_id.set(rid)
        tp_token = context.traceparent.set(tp)

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", rid.encode("latin-1")),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            context.request_id.reset(rid_token)
            context.traceparent.reset(tp_token)


LINGER_BYTES = 64 * 1024 * 1024
"""A rejected body up to this size is read and dropped before the 413 goes out.

Answering while the client is still sending makes the server close a socket with unread
data, which the kernel turns into a reset: the client (or the gateway proxying it) then
loses the 413 and sees a dropped connection. Reading the rest first, like a web server's
lingering close, lets the answer arrive; past this size the connection is simply cut.
"""


async def _drain(receive: Receive, budget: int) -> None:
    read = 0
    while read <= budget:
        message = await receive()
        if message["type"] != "http.request":
            return
        read += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


BODY_LIMIT = "x-body-limit"
"""The OpenAPI extension (on the operation) that states a route's own body limit."""


def body_limit(limit: int | str, *, slack: int = 0) -> dict[str, Any]:
    """``openapi_extra`` of a route that takes a larger body than the default: ``limit``
    bytes, or the name of a settings field holding them, plus ``slack`` bytes (multipart
    framing around a file). The OpenAPI shows the resolved number as ``x-body-limit``;
    merge it with the route's other extras: ``openapi_extra={**DOC, **body_limit(...)}``.
    """
    return {BODY_LIMIT: {"limit": limit, "slack": slack}}


def declared_body_limits(
    routes: Iterable[Any], settings: Any
) -> list[tuple[re.Pattern[str], frozenset[str], int]]:
    """(path pattern, methods, bytes) of every route declaring :func:`body_limit`; the
    number is resolved against ``settings`` and written back into the route's OpenAPI."""
    found = []
    for route in routes:
        extra = getattr(route, "openapi_extra", None) or {}
        spec = extra.get(BODY_LIMIT)
        if spec is None:
            continue
        if isinstance(spec, dict):
            limit = spec["limit"]
            value = getattr(settings, limit) if isinstance(limit, str) else limit
            spec = int(value) + int(spec.get("slack", 0))
            # A new dict: the router's own route objects are shared between apps.
            route.openapi_extra = {**extra, BODY_LIMIT: spec}
        found.append((route.path_regex, frozenset(getattr(route, "methods", None) or ()), spec))
    return found


class BodySizeLimitMiddleware:
    """413 problem for a body over its limit, by Content-Length or as it streams in.

    The limit is ``max_bytes`` unless the route declares its own with :func:`body_limit`
    (found among the app's routes at the first request): an upload route takes a
    larger body than the JSON API without raising the limit everywhere. Such a route
    must read its body as a stream; the limit still stops a client that sends more.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.routes: list[tuple[re.Pattern[str], frozenset[str], int]] | None = None

    def limit_for(self, scope: Scope) -> int:
        """The body limit of the request in ``scope``."""
        if self.routes is None:
            app = scope["app"]
            settings = getattr(app.state, "settings", None)
            self.routes = declared_body_limits(app.router.routes, settings)
        path, method = scope.get("path", ""), scope.get("method", "")
        for pattern, methods, limit in self.routes:
            if (not methods or method in methods) and pattern.match(path):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.limit_for(scope)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > max_bytes:
            if int(length) <= LINGER_BYTES:
                await _drain(receive, LINGER_BYTES)
            await self._reject(scope, send, max_bytes)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    if message.get("more_body", False):
                        await _drain(receive, LINGER_BYTES)
                    # An HTTPException passes through FastAPI's body parsing untouched and
                    # is rendered as a problem by the chassis handlers.
                    raise HTTPException(413, f"The request body exceeds {max_bytes} bytes")
            return message

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except HTTPException as exc:
            # Raised outside FastAPI's exception handling (by middleware that reads the
            # body before the router, e.g. idempotency): answer it here.
            if exc.status_code != 413 or started:
                raise
            await self._reject(scope, send, max_bytes)

    async def _reject(self, scope: Scope, send: Send, max_bytes: int) -> None:
        await send_problem(
            send,
            scope,
            413,
            "Payload too large",
            f"The request body exceeds {max_bytes} bytes",
            type_="payload-too-large",
            close=True,
        )


class NulInQueryMiddleware:
    """422 problem for a query string carrying a NUL character (``%00``).

    PostgreSQL stores no NUL, so such a filter value would fail in the database; a
    streamed response (an export) would have started by then, and the client would see
    a broken download instead of the problem. Bodies are left to the handlers: there the
    database's refusal still comes before any response (``errors.install_problem_handlers``).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and b"%00" in scope.get("query_string", b""):
            await send_problem(
                send,
                scope,
                422,
                "Validation failed",
                "Text may not contain the NUL character (\\u0000)",
                type_="validation",
                errors=[{"field": "query", "message": "contains a NUL character (%00)"}],
            )
            return
        await self.app(scope, receive, send)


async def send_problem(
    send: Send,
    scope: Scope,
    status: int,
    title: str,
    detail: str,
    *,
    type_: str,
    errors: list[dict[str, str]] | None = None,
    close: bool = False,
) -> None:
    """Answer with a problem+json from ASGI middleware (outside FastAPI's handlers)."""
    body = json.dumps(
        problem_body(status, title, detail, type_=type_, instance=scope.get("path"), errors=errors)
    ).encode()
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
