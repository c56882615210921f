"""Who is calling: JWT bearer tokens issued by the gateway, verified by every service.

A token carries the tenant (``tid``), the user or API key (``sub``, a UUID), ``roles``,
``scopes``, the user's ``teams``, the row visibility (``vis``: ``own``, ``team`` or ``all``)
and per-resource field allow-lists (``fields``: ``{"contact": ["first_name", ...]}``; a
resource not named there shows every field). The gateway decides them; every service
enforces them. :data:`ActorDep` verifies the token and yields the :class:`Actor`; every
repository is built with it, so tenant and visibility are applied in one place.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Annotated, Any, Literal
from uuid import UUID

import jwt
from fastapi import Depends, Request

from crm_chassis.errors import Forbidden, Unauthorized
from crm_chassis.ids import new_id
from crm_chassis.settings import SharedSettings

ALGORITHM = "HS256"
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


Visibility = Literal["own", "team", "all"]
VISIBILITIES: tuple[Visibility, ...] = ("own", "team", "all")
_NO_LISTS: Mapping[str, frozenset[str]] = MappingProxyType({})


@dataclass(frozen=True)
class Actor:
    """Who is calling: tenant, user (or API key), teams, roles, scopes, what they may see.

    ``visibility`` limits which owned records they read and write (``own``: those they
    own; ``team``: those of their teams and their own; ``all``: the tenant's).
    ``fields`` maps a resource name to the fields its role may see and write; a resource
    it does not name is unrestricted. ``admin`` sees everything.
    """

    tenant_id: UUID
    user_id: UUID
    roles: frozenset[str] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)
    team_ids: frozenset[UUID] = field(default_factory=frozenset)
    visibility: Visibility = "all"
    fields: Mapping[str, frozenset[str]] = field(default_factory=lambda: _NO_LISTS, compare=False)

    @classmethod
    def system(cls, tenant_id: UUID) -> Actor:
        """The service itself acting for ``tenant_id`` (consumers, jobs): sees everything."""
        return cls(tenant_id=tenant_id, user_id=SYSTEM_USER, roles=frozenset({"admin"}))

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def sees_all(self) -> bool:
        return self.visibility == "all" or self.is_admin

    def has_scope(self, scope: str) -> bool:
        """``admin`` holds every scope; ``contacts:*`` holds ``contacts:write``."""
        if self.is_admin or "*" in self.scopes or scope in self.scopes:
            return True
        return f"{scope.split(':', 1)[0]}:*" in self.scopes

    def allowed_fields(self, resource: str) -> frozenset[str] | None:
        """The fields of ``resource`` this actor may see, or None for all of them."""
        if self.is_admin:
            return None
        return self.fields.get(resource)


SYSTEM_USER = UUID(int=0)


def issue_token(actor: Actor, settings: SharedSettings, *, ttl_seconds: int = 3600) -> str:
    """A signed access token for ``actor`` valid for ``ttl_seconds``."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(actor.user_id),
        "tid": str(actor.tenant_id),
        "roles": sorted(actor.roles),
        "scope": " ".join(sorted(actor.scopes)),
        "iat": now,
        "nbf": now,
        "exp": now + ttl_seconds,
        "jti": str(new_id()),
    }
    if actor.team_ids:
        claims["teams"] = sorted(str(t) for t in actor.team_ids)
    if actor.visibility != "all":
        claims["vis"] = actor.visibility
    if actor.fields:
        claims["fields"] = {name: sorted(names) for name, names in actor.fields.items()}
    return jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM)


def _actor_of(claims: dict[str, Any]) -> Actor:
    visibility = claims.get("vis", "all")
    if visibility not in VISIBILITIES:
        raise ValueError(f"unknown visibility {visibility!r}")
    fields = claims.get("fields") or {}
    if not isinstance(fields, dict):
        raise ValueError("fields must map resources to field lists")
    return Actor(
        tenant_id=UUID(claims["tid"]),
        user_id=UUID(str(claims["sub"])),
        roles=frozenset(claims.get("roles") or ()),
        scopes=frozenset(str(claims.get("scope") or "").split()),
        team_ids=frozenset(UUID(t) for t in claims.get("teams") or ()),
        visibility=visibility,
        fields=MappingProxyType({str(k): frozenset(map(str, v)) for k, v in fields.items()}),
    )


def verify_token(token: str, settings: SharedSettings) -> Actor:
    """The actor of a valid token; :class:`Unauthorized` for anything else."""
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
        return _actor_of(claims)
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The token has expired", headers=_CHALLENGE) from exc
    except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
        raise Unauthorized("The token is invalid", headers=_CHALLENGE) from exc


class VerifiedTokens:
    """Actors of recently verified tokens, each kept no longer than its ``exp``.

    A client sends the same token with every request for up to an hour; checking its HMAC
    and claims each time was, measured in the gateway, the largest single cost of a
    request (PyJWT validates the base64 alphabet character by character).
    """

    def __init__(self, settings: SharedSettings, *, max_entries: int = 10_000) -> None:
        self.settings = settings
        self.max_entries = max_entries
        self._known: dict[str, tuple[Actor, float]] = {}

    def principal(self, authorization: str | None) -> Actor:
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


async def current_actor(request: Request) -> Actor:
    """The verified caller of this request (cached on the request and per token)."""
    cached = getattr(request.state, "actor", None)
    if cached is not None:
        return cached
    tokens = getattr(request.app.state, "tokens", None)
    header = request.headers.get("authorization")
    if tokens is None:
        principal = verify_token(parse_bearer(header), request.app.state.settings)
    else:
        principal = tokens.principal(header)
    request.state.actor = principal
    return principal


ActorDep = Annotated[Actor, Depends(current_actor)]


def require_scope(scope: str) -> Any:
    """A dependency that answers 403 unless the caller holds ``scope``."""

    async def check(actor: ActorDep) -> Actor:
        if not actor.has_scope(scope):
            raise Forbidden(f"This needs the scope {scope!r}")
        return actor

    return Depends(check)
