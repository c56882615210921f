"""From a subject's roles to the token the services trust: tenant, scopes, teams, row
visibility and field allow-lists, resolved against the tenant's own roles."""

from __future__ import annotations

from collections.abc import Iterable
from types import MappingProxyType
from uuid import UUID

from crm_chassis.auth import Actor
from sqlalchemy.ext.asyncio import AsyncSession

from crm_gateway.identity.models import Role
from crm_gateway.identity.repository import IdentityRepository
from crm_gateway.identity.roles import BUILT_IN, RESERVED, Grant, resolve


def grant_of(role: Role) -> Grant:
    """The grant a stored tenant-defined role describes."""
    fields = {str(k): frozenset(map(str, v)) for k, v in (role.fields or {}).items()}
    return Grant(frozenset(role.scopes), role.visibility, MappingProxyType(fields))


async def actor_for(
    session: AsyncSession,
    *,
    tenant_id: UUID,
    subject: UUID,
    roles: Iterable[str],
    scopes: Iterable[str] = (),
    team_ids: Iterable[UUID] = (),
) -> Actor:
    """The actor a token for ``subject`` carries.

    ``scopes``, when given (a scoped API key), replace the scopes the roles grant; row
    visibility and field allow-lists always come from the roles.
    """
    names = sorted(set(roles))
    custom_names = [n for n in names if n not in RESERVED]
    custom = await IdentityRepository(session).custom_roles(tenant_id, custom_names)
    grant = resolve(names, {r.name: grant_of(r) for r in custom})
    explicit = frozenset(scopes)
    return Actor(
        tenant_id=tenant_id,
        user_id=subject,
        roles=frozenset(names),
        scopes=explicit or grant.scopes,
        team_ids=frozenset(team_ids),
        visibility=grant.visibility,
        fields=grant.fields,
    )


async def unknown_roles(session: AsyncSession, tenant_id: UUID, names: Iterable[str]) -> list[str]:
    """The names among ``names`` that are neither built-in nor the tenant's own roles."""
    wanted = sorted(set(names) - set(BUILT_IN))
    known = {r.name for r in await IdentityRepository(session).custom_roles(tenant_id, wanted)}
    return [n for n in wanted if n not in known]
