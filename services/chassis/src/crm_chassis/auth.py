"""JWT bearer tokens: issued by the gateway, verified by every service (defence in depth).

A token carries the tenant (``tid``), the user or API key (``sub``), ``roles`` and
``scopes``. :data:`PrincipalDep` verifies it and yields the :class:`Principal`; every
repository is then built with ``principal.tenant_id``.
"""

from __future__ import annotations

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


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization")
    if not header:
        raise Unauthorized("Missing Authorization: Bearer <token>", headers=_CHALLENGE)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization must be a Bearer token", headers=_CHALLENGE)
    return token.strip()


def current_principal(request: Request) -> Principal:
    """The verified caller of this request (cached on the request)."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    principal = verify_token(bearer_token(request), request.app.state.settings)
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
