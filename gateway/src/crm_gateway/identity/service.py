"""Identity use cases. Functions take keyword arguments and never commit."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from crm_chassis.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from crm_chassis.orm import utcnow
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from crm_gateway.identity.grants import actor_for, unknown_roles
from crm_gateway.identity.keys import generate_key, hash_key, visible_prefix
from crm_gateway.identity.models import ApiKey, Tenant
from crm_gateway.identity.repository import IdentityRepository
from crm_gateway.identity.roles import OPERATOR
from crm_gateway.identity.schemas import TenantUpdate
from crm_gateway.identity.signing import Signer

log = logging.getLogger("crm.gateway.identity")

DEFAULT_TENANT = "default"
ADMIN_ROLES = ("admin",)
ADMIN_SCOPES = ("*",)
# The bootstrap key is the platform operator's, and admin of the default tenant.
OPERATOR_ROLES = ("admin", OPERATOR)


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int


@dataclass(frozen=True)
class NewKey:
    """A key just created and its secret, which exists nowhere else after this."""

    key: ApiKey
    secret: str


async def exchange_api_key(
    *, session: AsyncSession, signer: Signer, api_key: str, ttl_seconds: int
) -> IssuedToken:
    """A token for the tenant, roles and scopes of ``api_key``; 401 if unknown or revoked."""
    key = await usable_key(session, hash_key(api_key))
    return await token_for_key(session=session, signer=signer, key=key, ttl_seconds=ttl_seconds)


async def usable_key(session: AsyncSession, key_hash: str) -> ApiKey:
    """The key of ``key_hash`` if it is neither revoked nor expired; 401 otherwise."""
    key = await IdentityRepository(session).key_by_hash(key_hash)
    if key is None or key.revoked_at is not None or (key.expires_at and key.expires_at <= utcnow()):
        # One answer for all: the caller learns nothing about which keys exist.
        raise Unauthorized("The API key is unknown or revoked")
    return key


async def token_for_key(
    *,
    session: AsyncSession,
    signer: Signer,
    key: ApiKey,
    ttl_seconds: int,
    scopes: frozenset[str] | None = None,
) -> IssuedToken:
    """A token for ``key`` (its use recorded), narrowed to ``scopes`` when given."""
    await IdentityRepository(session).touch_key(key.id)
    actor = await actor_for(
        session, tenant_id=key.tenant_id, subject=key.id, roles=key.roles, scopes=key.scopes
    )
    if scopes is not None:
        actor = replace(actor, scopes=scopes)
    if key.expires_at is not None:  # a token never outlives its key
        ttl_seconds = max(1, min(ttl_seconds, int((key.expires_at - utcnow()).total_seconds())))
    token = signer.issue(actor, ttl_seconds=ttl_seconds)
    return IssuedToken(access_token=token, expires_in=ttl_seconds)


async def check_grantable(session: AsyncSession, tenant_id: UUID, roles: list[str]) -> None:
    """403 for the operator role (never granted through the API), 422 for a role that is
    neither built-in nor the tenant's own."""
    if OPERATOR in roles:
        raise Forbidden("The operator role cannot be granted")
    if unknown := await unknown_roles(session, tenant_id, roles):
        raise ValidationFailed(
            f"Unknown roles: {', '.join(unknown)}",
            errors=[{"field": "roles", "message": f"unknown role {n!r}"} for n in unknown],
        )


async def create_api_key(
    *,
    session: AsyncSession,
    tenant_id: UUID,
    name: str,
    roles: list[str],
    scopes: list[str],
    secret: str | None = None,
    expires_at: datetime | None = None,
) -> NewKey:
    """A new key of ``tenant_id``; ``secret`` is generated unless given (bootstrap)."""
    if secret is None:
        await check_grantable(session, tenant_id, roles)
    secret = secret or generate_key()
    key = ApiKey(
        tenant_id=tenant_id,
        name=name,
        prefix=visible_prefix(secret),
        key_hash=hash_key(secret),
        roles=sorted(set(roles)),
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
    )
    await IdentityRepository(session).add(key)
    return NewKey(key=key, secret=secret)


async def revoke_api_key(*, session: AsyncSession, tenant_id: UUID, key_id: UUID) -> ApiKey:
    """Revoke a key of ``tenant_id`` (404 for another tenant's); revoking twice is a no-op.

    Tokens already issued for the key stay valid until they expire.
    """
    key = await IdentityRepository(session).key_of_tenant(tenant_id, key_id, for_update=True)
    if key is None:
        raise NotFound(f"No API key {key_id}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await session.flush()
    return key


async def create_tenant(*, session: AsyncSession, name: str) -> tuple[Tenant, NewKey]:
    """A new tenant and its first admin key; 409 if the name is taken."""
    repo = IdentityRepository(session)
    if await repo.tenant_by_name(name) is not None:
        raise Conflict(f"A tenant named {name!r} exists")
    tenant = Tenant(name=name)
    try:
        # A savepoint: a concurrent creation of the same name loses here, cleanly.
        async with session.begin_nested():
            await repo.add(tenant)
    except IntegrityError as exc:
        raise Conflict(f"A tenant named {name!r} exists") from exc
    admin = await create_api_key(
        session=session,
        tenant_id=tenant.id,
        name="admin",
        roles=list(ADMIN_ROLES),
        scopes=list(ADMIN_SCOPES),
    )
    return tenant, admin


async def bootstrap(*, session: AsyncSession, api_key: str) -> NewKey | None:
    """Ensure ``api_key`` exists as an admin key; create the default tenant if needed.

    Idempotent, and safe when several replicas start at once. Returns the key created,
    or None when it already existed (revoked keys stay revoked).
    """
    repo = IdentityRepository(session)
    await repo.lock_bootstrap()
    existing = await repo.key_by_hash(hash_key(api_key))
    if existing is not None:
        if existing.revoked_at is not None:
            log.warning("the bootstrap API key was revoked; not re-creating it")
        return None
    tenant = await repo.tenant_by_name(DEFAULT_TENANT)
    if tenant is None:
        tenant = Tenant(name=DEFAULT_TENANT)
        await repo.add(tenant)
    created = await create_api_key(
        session=session,
        tenant_id=tenant.id,
        name="bootstrap admin",
        roles=list(OPERATOR_ROLES),
        scopes=list(ADMIN_SCOPES),
        secret=api_key,
    )
    log.info("bootstrap: admin key %s... created for tenant %r", created.key.prefix, tenant.name)
    return created


async def update_tenant(*, session: AsyncSession, tenant_id: UUID, data: TenantUpdate) -> Tenant:
    """Apply the operator's settings to a tenant; 404 if there is none."""
    tenant = await IdentityRepository(session).tenant(tenant_id)
    if tenant is None:
        raise NotFound(f"No tenant {tenant_id}")
    if data.allow_private_webhooks is not None:
        tenant.allow_private_webhooks = data.allow_private_webhooks
    if data.cors_origins is not None:
        tenant.cors_origins = sorted(set(data.cors_origins))
    await session.flush()
    return tenant
