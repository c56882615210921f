"""JWT bearer tokens: issued by the gateway, verified by every service (defence in depth).

A token carries the tenant (``tid``), the user or API key (``sub``), ``roles`` and
``scopes``. :data:`PrincipalDep` verifies it and yields the :class:`Principal`; every
repository is then built with ``principal.tenant_id``.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Annotated, Any
from uuid import UUID

import jwt
from fastapi import Depends, Request

from crm_chassis.errors import Forbidden, Unauthorized
from crm_chassis.ids import new_id
from crm_chassis.settings import SharedSettings

ALGORITHM = "HS256"
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True)
class Principal:
    """Who is calling: tenant, user (or API key), roles and scopes."""

    tenant_id: UUID
    user_id: str
    roles: frozenset[str] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)

    def has_scope(self, scope: str) -> bool:
        """``admin`` holds every scope; ``contacts:*`` holds ``contacts:write``."""
        if "admin" in self.roles or "*" in self.scopes or scope in self.scopes:
            return True
        return f"{scope.split(':', 1)[0]}:*" in self.scopes


def issue_token(principal: Principal, settings: SharedSettings, *, ttl_seconds: int = 3600) -> str:
    """A signed access token for ``principal`` valid for ``ttl_seconds``."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": principal.user_id,
        "tid": str(principal.tenant_id),
        "roles": sorted(principal.roles),
        "scope": " ".join(sorted(principal.scopes)),
        "iat": now,
        "nbf": now,
        "exp": now + ttl_seconds,
        "jti": str(new_id()),
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM)


def verify_token(token: str, settings: SharedSettings) -> Principal:
    """The principal of a valid token; :class:`Unauthorized` for anything else."""
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "sub", "tid", "iss", "aud"]},
            leeway=5,
        )
        return Principal(
            tenant_id=UUID(claims["tid"]),
            user_id=str(claims["sub"]),
            roles=frozenset(claims.get("roles") or ()),
            scopes=frozenset(str(claims.get("scope") or "").split()),
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The token has expired", headers=_CHALLENGE) from exc
    except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
        raise Unauthorized("The token is invalid", headers=_CHALLENGE) from exc


class VerifiedTokens:
    """Principals of recently verified tokens, each kept no longer than its ``exp``.

    A client sends the same token with every request for up to an hour; checking its HMAC
    and claims each time was, measured in the gateway, the largest single cost of a
    request (PyJWT validates the base64 alphabet character by character).
    """

    def __init__(self, settings: SharedSettings, *, max_entries: int = 10_000) -> None:
        self.settings = settings
        self.max_entries = max_entries
        self._known: dict[str, tuple[Principal, float]] = {}

    def principal(self, authorization: str | None) -> Principal:
        """The caller of an ``Authorization`` header; :class:`Unauthorized` if it has none
        or an invalid one."""
        token = parse_bearer(authorization)
        known = self._known.get(token)
        if known is not None:
            if known[1] > time.time():
                return known[0]
            del self._known[token]
        principal = verify_token(token, self.settings)
        if len(self._known) >= self.max_entries:
            del self._known[next(iter(self._known))]  # the oldest entry
        self._known[token] = (principal, _expiry(token))
        return principal


def _expiry(token: str) -> float:
    """The ``exp`` of a token whose signature was just verified (so its payload is
    trusted); decoded here because ``verify_token`` returns only the principal."""
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return float(claims["exp"])


def parse_bearer(header: str | None) -> str:
    """The token of an ``Authorization: Bearer`` header; :class:`Unauthorized` otherwise."""
    if not header:
        raise Unauthorized("Missing Authorization: Bearer <token>", headers=_CHALLENGE)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization must be a Bearer token", headers=_CHALLENGE)
    return token.strip()


def current_principal(request: Request) -> Principal:
    """The verified caller of this request (cached on the request and per token)."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    tokens = getattr(request.app.state, "tokens", None)
    header = request.headers.get("authorization")
    if tokens is None:
        principal = verify_token(parse_bearer(header), request.app.state.settings)
    else:
        principal = tokens.principal(header)
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require_scope(scope: str) -> Any:
    """A dependency that answers 403 unless the caller holds ``scope``."""

    def check(principal: PrincipalDep) -> Principal:
        if not principal.has_scope(scope):
            raise Forbidden(f"This needs the scope {scope!r}")
        return principal

    return Depends(check)
