"""Rate limits per API key or user and per tenant, with the IETF headers.

Every ``/v1`` request with a valid token takes a token from its caller's bucket and from
its tenant's; a request without one (logins, token exchanges, bad tokens) takes from its
client address's. Each response carries ``RateLimit-Policy`` and ``RateLimit``
(draft-ietf-httpapi-ratelimit-headers, structured fields) for the tightest bucket; an
empty bucket answers 429 with an honest ``Retry-After``: the seconds until a token is
there again.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable

from crm_chassis.auth import VerifiedTokens
from crm_chassis.errors import CRMError, problem_body
from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crm_gateway.limits.buckets import Buckets, Policy, Taken

log = logging.getLogger("crm.gateway.limits")


def policy_header(policies: Iterable[Policy]) -> str:
    """``RateLimit-Policy``: every policy that applies, as a structured list."""
    return ", ".join(f'"{p.name}";q={p.capacity};w={math.ceil(p.window)}' for p in policies)


def limit_header(taken: Taken) -> str:
    """``RateLimit``: what is left of the tightest bucket, and when it is full again."""
    remaining = max(0, math.floor(taken.remaining))
    return f'"{taken.policy.name}";r={remaining};t={math.ceil(taken.reset)}'


def tightest(takes: list[Taken]) -> Taken:
    """The outcome that limits: a denial first (the longest wait), else the fewest left."""
    denied = [t for t in takes if not t.allowed]
    if denied:
        return max(denied, key=lambda t: t.retry_after)
    return min(takes, key=lambda t: t.remaining / t.policy.capacity)


async def _take_all(buckets: Buckets, policies: list[Policy], keys: list[str]) -> list[Taken]:
    """Take from each bucket in turn, stopping at the first that is empty (so a caller
    over its own limit does not drain its tenant's)."""
    takes = []
    for policy, key in zip(policies, keys, strict=True):
        takes.append(await buckets.take(policy, key))
        if not takes[-1].allowed:
            break
    return takes


class RateLimitMiddleware:
    """Takes the request's tokens before the app runs; 429 when a bucket is empty."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        per_key: Policy,
        per_tenant: Policy,
        per_address: Policy,
    ) -> None:
        self.app = app
        self.per_key, self.per_tenant, self.per_address = per_key, per_tenant, per_address

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        app_state = scope["app"].state
        buckets: Buckets | None = getattr(app_state, "buckets", None)
        if buckets is None:
            await self.app(scope, receive, send)
            return
        policies, keys = self._buckets_of(scope, app_state.tokens)
        try:
            takes = await _take_all(buckets, policies, keys)
        except Exception as exc:  # the database is down: fail open, the services still limit
            log.warning("rate limit unavailable (%s); request let through", exc)
            await self.app(scope, receive, send)
            return
        limiting = tightest(takes)
        headers = {
            "RateLimit-Policy": policy_header(policies),
            "RateLimit": limit_header(limiting),
        }
        if not limiting.allowed:
            retry = max(1, math.ceil(limiting.retry_after))
            body = problem_body(
                429,
                "Too many requests",
                f"The {limiting.policy.name} rate limit is exhausted; retry in {retry} s",
                type_="rate-limited",
            )
            response = JSONResponse(
                body,
                status_code=429,
                media_type="application/problem+json",
                headers={**headers, "Retry-After": str(retry)},
            )
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                for name, value in headers.items():
                    out[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _buckets_of(self, scope: Scope, tokens: VerifiedTokens) -> tuple[list[Policy], list[str]]:
        authorization = next((v for n, v in scope["headers"] if n == b"authorization"), None)
        if authorization is not None:
            try:
                actor = tokens.principal(authorization.decode("latin-1"))
            except CRMError:
                actor = None
            if actor is not None:
                return (
                    [self.per_key, self.per_tenant],
                    [f"{actor.tenant_id}:{actor.user_id}", str(actor.tenant_id)],
                )
        client = scope.get("client")
        return [self.per_address], [client[0] if client else "unknown"]
