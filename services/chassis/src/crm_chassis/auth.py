"""Who is calling: JWT bearer tokens issued by the gateway, verified by every service.

A token carries the tenant (``tid``), the user or API key (``sub``, a UUID), ``roles``,
``scopes``, the user's ``teams``, the row visibility (``vis``: ``own``, ``team`` or ``all``)
and per-resource field allow-lists (``fields``: ``{"contact": ["first_name", ...]}``; a
resource not named there shows every field). The gateway decides them; every service
enforces them. :data:`ActorDep` verifies the token and yields the :class:`Actor`; every
repository is built with it, so tenant and visibility are applied in one place.

Signatures: the gateway signs with a rotating asymmetric key set (RS256, ``kid`` in the
header) that it publishes at ``/.well-known/jwks.json``; a service given
``CRM_JWT_JWKS_URL`` verifies against that set (:class:`RemoteKeySet`, fetched again when
a token names a key it does not know), so it holds no secret. HS256 with
``CRM_JWT_SECRET`` is still accepted while that secret is set (tests, and a platform not
yet moved to the key set); an empty secret turns it off.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
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
#: The asymmetric algorithms a key set may sign with.
KEY_SET_ALGORITHMS = ("RS256", "ES256")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}
log = logging.getLogger("crm.auth")


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


@dataclass(frozen=True)
class SigningKey:
    """A private key of the gateway's key set, named by ``kid``."""

    kid: str
    algorithm: str
    private_key: Any


class KeySet:
    """Public keys by ``kid``: what a verifier trusts."""

    def __init__(self, jwks: Mapping[str, Any] | None = None) -> None:
        self._keys: dict[str, tuple[str, Any]] = {}
        if jwks:
            self.replace(jwks)

    def replace(self, jwks: Mapping[str, Any]) -> None:
        """Trust exactly the keys of a JWKS document (``{"keys": [...]}``)."""
        keys = {}
        for jwk in jwks.get("keys", ()):
            try:
                parsed = jwt.PyJWK(dict(jwk))
            except (jwt.PyJWKError, jwt.InvalidKeyError, KeyError, ValueError) as exc:
                log.warning("ignoring a key of the key set: %s", exc)
                continue
            if parsed.key_id and parsed.algorithm_name in KEY_SET_ALGORITHMS:
                keys[parsed.key_id] = (parsed.algorithm_name, parsed.key)
        self._keys = keys

    def get(self, kid: str | None) -> tuple[str, Any] | None:
        return self._keys.get(kid) if kid else None

    async def refresh(self) -> None:
        """Learn keys that appeared since (a remote set fetches again); a no-op here."""


class RemoteKeySet(KeySet):
    """The key set published at ``url``, fetched when a token names an unknown key, at most
    once per ``min_interval`` seconds (a token with a made-up ``kid`` cannot make a
    service hammer the gateway). After a failed fetch (the gateway not up yet, a network
    blip) the next may come ``retry_interval`` seconds later, so valid tokens are not
    refused for a whole ``min_interval`` after an outage."""

    def __init__(
        self,
        url: str,
        *,
        min_interval: float = 10.0,
        retry_interval: float = 1.0,
        timeout: float = 3.0,
    ) -> None:
        super().__init__()
        self.url = url
        self.min_interval = min_interval
        self.retry_interval = min(retry_interval, min_interval)
        self.timeout = timeout
        self._next_at = time.monotonic()
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        import httpx

        async with self._lock:
            if time.monotonic() < self._next_at:
                return
            try:
                async with httpx.AsyncClient(timeout=self.timeout) as http:
                    response = await http.get(self.url)
                    response.raise_for_status()
                    self.replace(response.json())
            except (httpx.HTTPError, ValueError) as exc:
                log.warning("the key set at %s is unavailable: %s", self.url, exc)
                self._next_at = time.monotonic() + self.retry_interval
            else:
                self._next_at = time.monotonic() + self.min_interval


def key_set_for(settings: SharedSettings) -> KeySet:
    """The key set a service trusts: the published one when ``jwt_jwks_url`` is set."""
    url = getattr(settings, "jwt_jwks_url", None)
    return RemoteKeySet(url) if url else KeySet()


def issue_token(
    actor: Actor,
    settings: SharedSettings,
    *,
    ttl_seconds: int = 3600,
    key: SigningKey | None = None,
) -> str:
    """A signed access token for ``actor`` valid for ``ttl_seconds``: signed with ``key``
    (and naming it) when given, else with the shared secret (HS256)."""
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
    if key is not None:
        return jwt.encode(
            claims, key.private_key, algorithm=key.algorithm, headers={"kid": key.kid}
        )
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


def _key_of(token: str, settings: SharedSettings, keys: KeySet | None) -> tuple[str, Any]:
    """The algorithm and key that must have signed ``token``; ValueError if none may."""
    header = jwt.get_unverified_header(token)
    algorithm = header.get("alg")
    if algorithm in KEY_SET_ALGORITHMS:
        found = keys.get(header.get("kid")) if keys is not None else None
        if found is None or found[0] != algorithm:
            raise ValueError("the token is signed by a key not in the key set")
        return found
    if algorithm == ALGORITHM and settings.jwt_secret:
        return ALGORITHM, settings.jwt_secret
    raise ValueError(f"tokens signed with {algorithm!r} are not accepted")


def verify_token(token: str, settings: SharedSettings, keys: KeySet | None = None) -> Actor:
    """The actor of a valid token; :class:`Unauthorized` for anything else."""
    try:
        algorithm, key = _key_of(token, settings, keys)
        claims = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
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

    def __init__(
        self,
        settings: SharedSettings,
        *,
        max_entries: int = 10_000,
        keys: KeySet | None = None,
    ) -> None:
        self.settings = settings
        self.max_entries = max_entries
        self.keys = keys if keys is not None else key_set_for(settings)
        self._known: dict[str, tuple[Actor, float]] = {}

    async def aprincipal(self, authorization: str | None) -> Actor:
        """:meth:`principal`, first fetching the key set again if the token names a key
        it does not hold yet (the gateway rotated)."""
        token = parse_bearer(authorization)
        if token not in self._known:
            try:
                kid = jwt.get_unverified_header(token).get("kid")
            except jwt.InvalidTokenError:
                kid = None
            if kid is not None and self.keys.get(kid) is None:
                await self.keys.refresh()
        return self.principal(authorization)

    def principal(self, authorization: str | None) -> Actor:
        """The caller of an ``Authorization`` header; :class:`Unauthorized` if it has none
        or an invalid one."""
        token = parse_bearer(authorization)
        known = self._known.get(token)
        if known is not None:
            if known[1] > time.time():
                return known[0]
            del self._known[token]
        principal = verify_token(token, self.settings, self.keys)
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
        principal = await tokens.aprincipal(header)
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
