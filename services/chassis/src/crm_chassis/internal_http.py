"""Calls from one service to another, on behalf of the user whose request is being served.

Services cooperate through events; this client is for the few user-facing requests that
must read another service's data now (architecture.md: "for a user-facing request, by an
HTTP call"). One :class:`InternalHttp` per app pools connections to every upstream; a route
takes it bound to its caller with :data:`InternalCallsDep`::

    @router.get("/v1/deals/{deal_id}/contact")
    async def contact_of(deal_id: UUID, calls: InternalCallsDep) -> dict[str, Any]:
        return await calls.get("contacts", f"/v1/contacts/{contact_id}")

Every call carries the caller's ``Authorization`` (the upstream checks the same user's
rights: there is no service token that could read more than the user may), the request's
``traceparent`` and ``X-Request-Id``, so logs and traces join across services. Upstream base
URLs come from ``CRM_SERVICE_URLS`` (JSON: ``{"contacts": "http://contacts:8001"}``).

What goes wrong upstream becomes our problem, never a 500:

- 404 -> :class:`NotFound`, other 4xx -> the same status, with the upstream's ``detail`` and
  ``errors`` (the request was wrong there, so it is wrong here);
- no answer in time, a refused or broken connection, or a 503 -> 503
  :class:`ServiceUnavailable` naming the upstream, with ``Retry-After``;
- any other 5xx -> 502 :class:`BadGateway` naming the upstream.

Only GET and HEAD are retried, a few times with a short pause, and only when the request
cannot have been processed or the upstream said it is briefly unable (connection refused,
connect timeout, 502/503/504). A read timeout is not retried: a slow upstream would only make
the caller wait several times as long. A POST that timed out may have taken effect, so
it is never repeated here; an ``Idempotency-Key`` makes it safe for the caller to repeat.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, Request
from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from crm_chassis import context
from crm_chassis.errors import (
    _STATUS_TYPES,
    BadGateway,
    BadRequest,
    NotFound,
    ServiceUnavailable,
)

log = logging.getLogger("crm.internal_http")

IDEMPOTENT = frozenset({"GET", "HEAD"})
RETRY_STATUSES = frozenset({502, 503, 504})
RETRY_AFTER_SECONDS = 2
_PASSED_HEADERS = ("retry-after", "etag")


class InternalHttpSettings(BaseSettings):
    """``CRM_SERVICE_URLS`` and the ``CRM_INTERNAL_HTTP_*`` timeouts and retries."""

    model_config = SettingsConfigDict(env_prefix="CRM_INTERNAL_HTTP_", extra="ignore")

    service_urls: dict[str, str] = Field(
        default_factory=dict, validation_alias=AliasChoices("CRM_SERVICE_URLS", "service_urls")
    )
    """Base URL per upstream service name."""
    connect_timeout: float = 1.0
    read_timeout: float = 5.0
    """Seconds to wait for each read of the answer (also for writes and the pool)."""
    get_attempts: int = Field(3, ge=1, le=5)
    """Attempts of a GET or HEAD, the first included."""
    retry_pause: float = 0.05
    """Seconds before the second attempt, doubling for each later one."""


class InternalHttp:
    """The app's client to other services (one per app: it pools their connections)."""

    def __init__(
        self,
        settings: InternalHttpSettings | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings or InternalHttpSettings()
        timeout = httpx.Timeout(self.settings.read_timeout, connect=self.settings.connect_timeout)
        self._client = httpx.AsyncClient(
            timeout=timeout, follow_redirects=False, transport=transport
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def request(
        self,
        service: str,
        method: str,
        path: str,
        *,
        authorization: str | None,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """``method path`` on ``service`` as the caller: the 2xx/3xx response, or the
        problem its failure maps to (see the module docstring)."""
        url = self._url(service, path)
        sent = _context_headers(authorization) | (headers or {})
        method = method.upper()
        attempts = self.settings.get_attempts if method in IDEMPOTENT else 1
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            try:
                response = await self._client.request(
                    method, url, params=params, json=json, headers=sent
                )
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if last:
                    raise _unavailable(service, "could not be reached") from exc
            except httpx.TimeoutException as exc:
                raise _unavailable(service, "did not answer in time") from exc
            except httpx.TransportError as exc:  # reset, closed mid-answer, bad HTTP
                if last:
                    raise _unavailable(service, "broke off its answer") from exc
            else:
                if response.status_code not in RETRY_STATUSES or last:
                    return _checked(service, response)
            await asyncio.sleep(self.settings.retry_pause * 2 ** (attempt - 1))
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def get(
        self,
        service: str,
        path: str,
        *,
        authorization: str | None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        """The JSON body of ``GET path`` on ``service``."""
        response = await self.request(
            service, "GET", path, authorization=authorization, params=params
        )
        return response.json()

    def _url(self, service: str, path: str) -> str:
        base = self.settings.service_urls.get(service)
        if base is None:
            # A deployment mistake: loud in the log, a 503 naming the service to the caller.
            log.error("no URL for service %r in CRM_SERVICE_URLS", service)
            raise _unavailable(service, "is not configured")
        return base.rstrip("/") + "/" + path.lstrip("/")


@dataclass(frozen=True)
class InternalCalls:
    """:class:`InternalHttp` bound to one incoming request's caller."""

    http: InternalHttp
    authorization: str | None

    async def get(self, service: str, path: str, *, params: dict[str, Any] | None = None) -> Any:
        return await self.http.get(service, path, authorization=self.authorization, params=params)

    async def request(self, service: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.request(
            service, method, path, authorization=self.authorization, **kwargs
        )


def internal_http(app: FastAPI) -> InternalHttp:
    """The app's client, built on first use from the environment's settings unless the
    app set ``app.state.internal_http`` itself; :func:`close_internal_http` closes it."""
    client: InternalHttp | None = getattr(app.state, "internal_http", None)
    if client is None:
        client = app.state.internal_http = InternalHttp()
    return client


async def close_internal_http(app: FastAPI) -> None:
    """Close the app's client, if one was built (for the app's lifespan)."""
    client: InternalHttp | None = getattr(app.state, "internal_http", None)
    if client is not None:
        app.state.internal_http = None
        await client.aclose()


def _internal_calls(request: Request) -> InternalCalls:
    return InternalCalls(internal_http(request.app), request.headers.get("authorization"))


InternalCallsDep = Annotated[InternalCalls, Depends(_internal_calls)]


def _context_headers(authorization: str | None) -> dict[str, str]:
    headers = {}
    if authorization:
        headers["Authorization"] = authorization
    if (traceparent := context.traceparent.get()) is not None:
        headers["traceparent"] = traceparent
    if (request_id := context.request_id.get()) is not None:
        headers["X-Request-Id"] = request_id
    return headers


def _unavailable(service: str, what: str) -> ServiceUnavailable:
    return ServiceUnavailable(
        f"The {service} service {what}; retry shortly",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _checked(service: str, response: httpx.Response) -> httpx.Response:
    status = response.status_code
    if status < 400:
        return response
    if status == 503:
        raise _unavailable(service, "is unavailable")
    if status >= 500:
        raise BadGateway(f"The {service} service failed to answer (status {status})")
    detail, errors = _problem_of(response)
    if status == 404:
        raise NotFound(detail or f"Not found in the {service} service", errors=errors)
    cls = _STATUS_TYPES.get(status, BadRequest)
    error = cls(
        detail or f"The {service} service refused the request (status {status})",
        errors=errors,
        headers={h: response.headers[h] for h in _PASSED_HEADERS if h in response.headers},
    )
    error.status = status  # a 4xx without a class of its own keeps its code
    raise error


def _problem_of(response: httpx.Response) -> tuple[str | None, list[dict[str, str]] | None]:
    """``detail`` and ``errors`` of a problem+json (or any JSON object) answer."""
    try:
        body = response.json()
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    detail = body.get("detail")
    errors = body.get("errors")
    return (
        detail if isinstance(detail, str) else None,
        errors if isinstance(errors, list) else None,
    )
