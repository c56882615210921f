"""The upstream client: one pooled aiohttp session that forwards requests to the services.

aiohttp, not httpx: measured on this machine, a proxy on aiohttp's client carries several
times the requests per second of the same proxy on ``httpx.AsyncClient`` (see
``docs/adr/0002-gateway-proxy-transport.md`` and ``bench/gateway_proxy.py``).

Bodies stream both ways: a large upload is sent to the service as it arrives, and a large
export is sent to the client as the service produces it; neither is held whole in memory.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from crm_chassis import context
from crm_chassis.errors import BadGateway, GatewayTimeout
from multidict import CIMultiDict
from prometheus_client import Counter
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from yarl import URL

log = logging.getLogger("crm.gateway.proxy")

# Counted, not logged per request: a service that is down would flood the log.
UPSTREAM_FAILURES = Counter(
    "crm_gateway_upstream_failures_total",
    "Proxied requests a service did not answer",
    ["service", "reason"],
)

# RFC 9110 7.6.1: connection-specific headers never cross a proxy. ``host`` is the
# gateway's; the service gets its own.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
    }
)
# uvicorn already answered the client's ``Expect: 100-continue``; passed on, it would make
# aiohttp wait for a second 100 from the service before sending the body.
_REQUEST_DROP = frozenset({*HOP_BY_HOP, "expect"})
# Set again by the gateway's own stack on the way out (uvicorn writes date and server, the
# chassis writes x-request-id); passing the service's copies on would duplicate them.
_RESPONSE_DROP = frozenset({*HOP_BY_HOP, "date", "server", "x-request-id"})
_RESPONSE_DROP_RAW = frozenset(h.encode() for h in _RESPONSE_DROP)
# A body this small is read whole and sent with its length: cheaper than a chunked stream,
# and every ordinary JSON request is this small.
_BUFFER_BELOW = 64 * 1024


class UpstreamClient:
    """Forwards requests to the services over one keep-alive connection pool."""

    def __init__(
        self,
        urls: dict[str, str],
        *,
        connect_timeout: float,
        read_timeout: float,
        pool_size: int = 256,
        keepalive_seconds: float = 4.0,
    ) -> None:
        """Describe the client; :meth:`open` creates the session (it needs a running loop)."""
        self.urls = {name: url.rstrip("/") for name, url in urls.items()}
        self.read_timeout = read_timeout
        self.timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=connect_timeout, sock_read=read_timeout
        )
        self._pool_size = pool_size
        self._keepalive = keepalive_seconds
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        """Create the pooled session."""
        connector = aiohttp.TCPConnector(
            limit=self._pool_size, limit_per_host=0, keepalive_timeout=self._keepalive
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=self.timeout,
            # Bytes pass through as the service sent them (still compressed), and a
            # service's cookie must never be replayed to another client's request.
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            # Never invent headers the client did not send.
            skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"),
        )

    async def close(self) -> None:
        """Close the session and every pooled connection."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("UpstreamClient.open() was not called")
        return self._session

    async def forward(self, request: Request, *, service: str) -> UpstreamResponse:
        """Send ``request`` to ``service`` as is and return its response, streaming.

        Raises :class:`BadGateway` (502) when the service cannot be reached or breaks the
        connection, :class:`GatewayTimeout` (504) when it does not answer in time.
        """
        scope = request.scope
        path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        target = self.urls[service] + path
        if query := scope.get("query_string"):
            target += "?" + query.decode("latin-1")
        headers = _upstream_headers(scope)
        body, failure = await _body(request, headers)
        try:
            upstream = await self.session.request(
                scope["method"],
                # The path is forwarded byte for byte: no re-quoting.
                URL(target, encoded=True),
                headers=headers,
                data=body,
                allow_redirects=False,
            )
        except TimeoutError as exc:
            UPSTREAM_FAILURES.labels(service, "timeout").inc()
            raise GatewayTimeout(
                f"The {service} service did not answer within {self.read_timeout:g} s"
            ) from exc
        except aiohttp.ClientConnectorError as exc:
            UPSTREAM_FAILURES.labels(service, "unreachable").inc()
            raise BadGateway(f"The {service} service is unreachable") from exc
        except aiohttp.ClientError as exc:
            if failure:  # the client's body failed (too large, client gone): say so
                raise failure[0] from exc
            UPSTREAM_FAILURES.labels(service, "disconnected").inc()
            raise BadGateway(f"The {service} service dropped the connection") from exc
        return UpstreamResponse(upstream, service=service)

    async def get_json(self, service: str, path: str, *, timeout: float) -> Any:  # noqa: ASYNC109
        """``GET`` a JSON document of ``service`` (for the merged OpenAPI); raises on failure."""
        async with self.session.get(
            self.urls[service] + path, timeout=aiohttp.ClientTimeout(total=timeout)
        ) as response:
            response.raise_for_status()
            return await response.json(content_type=None)


def _upstream_headers(scope: Scope) -> CIMultiDict[str]:
    raw = scope["headers"]
    drop = set(_REQUEST_DROP)
    for name, value in raw:
        if name == b"connection":  # headers the client marked as connection-specific
            drop.update(v.strip().lower() for v in value.decode("latin-1").split(","))
    headers: CIMultiDict[str] = CIMultiDict()
    for name, value in raw:
        key = name.decode("latin-1")
        if key not in drop:
            headers.add(key, value.decode("latin-1"))
    # The service logs and traces under the same ids as the gateway.
    if (rid := context.request_id.get()) is not None:
        headers["X-Request-Id"] = rid
    if (tp := context.traceparent.get()) is not None:
        headers["traceparent"] = tp
    client = scope.get("client")
    if client:
        prior = headers.get("X-Forwarded-For")
        headers["X-Forwarded-For"] = f"{prior}, {client[0]}" if prior else client[0]
    headers.setdefault("X-Forwarded-Proto", scope.get("scheme", "http"))
    host = next((v for n, v in raw if n == b"host"), None)
    if host is not None:
        headers.setdefault("X-Forwarded-Host", host.decode("latin-1"))
    return headers


async def _body(
    request: Request, headers: CIMultiDict[str]
) -> tuple[bytes | AsyncIterator[bytes] | None, list[BaseException]]:
    """The body to send on, and a list that will hold why reading it failed, if it does.

    Without a declared length the client's body is chunked; it stays chunked upstream
    (aiohttp chunks an iterator of unknown size).
    """
    failure: list[BaseException] = []
    length = headers.get("Content-Length")
    chunked = any(n == b"transfer-encoding" for n, _ in request.scope["headers"])
    if not chunked and (length is None or length == "0"):
        return None, failure
    if not chunked and length is not None and length.isdigit() and int(length) < _BUFFER_BELOW:
        return await request.body(), failure

    async def stream() -> AsyncIterator[bytes]:
        try:
            async for chunk in request.stream():
                if chunk:
                    yield chunk
        except Exception as exc:
            # Keep the cause (e.g. the 413 of the body limit); aiohttp reports only a
            # broken connection, and the service sees a truncated, never a complete, body.
            failure.append(exc)
            raise

    return stream(), failure


class UpstreamResponse(Response):
    """An ASGI response relaying a service's response as it arrives.

    Not Starlette's ``StreamingResponse``: under uvicorn that starts a task group per
    response to watch for disconnects. Here a short body (the common case: the service
    already sent it all) goes out in one message with no task; a watcher starts only once
    a body turns out to be long, so a client that leaves stops the transfer.
    """

    def __init__(self, upstream: aiohttp.ClientResponse, *, service: str) -> None:
        # Response.__init__ is not called: it would render a body and set a length.
        self.background = None
        self.upstream = upstream
        self.service = service
        self.status_code = upstream.status
        self.raw_headers = [
            (name.lower(), value)
            for name, value in upstream.raw_headers
            if name.lower() not in _RESPONSE_DROP_RAW
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        upstream = self.upstream
        watcher: asyncio.Task[None] | None = None
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": self.status_code,
                    "headers": self.raw_headers,
                }
            )
            content = upstream.content
            chunk = await content.readany()
            if not content.at_eof():
                watcher = asyncio.create_task(_close_on_disconnect(receive, upstream))
                while chunk:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                    chunk = await content.readany()
            await send({"type": "http.response.body", "body": chunk, "more_body": False})
        except (aiohttp.ClientError, TimeoutError):
            if watcher is not None and watcher.done():
                return  # the client left; closing the upstream was the point
            # Headers are out: a problem cannot be sent any more. Raising makes the
            # server abort the connection, so the client sees a broken, not a short, body.
            UPSTREAM_FAILURES.labels(self.service, "broken_body").inc()
            log.warning("the %s service broke off a response body", self.service)
            raise
        finally:
            if watcher is not None:
                watcher.cancel()
            upstream.release()


async def _close_on_disconnect(receive: Receive, upstream: aiohttp.ClientResponse) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    upstream.close()
