"""Users as a tenant admin manages them. Functions take keyword arguments, never commit."""

from __future__ import annotations

from uuid import UUID

from crm_chassis.errors import Conflict, NotFound
from crm_chassis.orm import utcnow
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from crm_gateway.identity.models import User
from crm_gateway.identity.passwords import hash_password, reset_token
from crm_gateway.identity.repository import IdentityRepository
from crm_gateway.identity.schemas import UserCreate, UserUpdate
from crm_gateway.identity.service import check_grantable


async def create_user(*, session: AsyncSession, tenant_id: UUID, data: UserCreate) -> User:
    """A new user; 409 if the email is taken (in any tenant: login names only the email)."""
    await check_grantable(session, tenant_id, data.roles)
    user = User(
        tenant_id=tenant_id,
        email=data.email,
        password_hash=hash_password(data.password),
        roles=sorted(set(data.roles)),
        team_ids=sorted(set(data.team_ids)),
    )
    try:
        async with session.begin_nested():
            await IdentityRepository(session).add(user)
    except IntegrityError as exc:
        raise Conflict(f"A user with the email {data.email!r} exists") from exc
    return user


async def require_user(*, session: AsyncSession, tenant_id: UUID, user_id: UUID) -> User:
    """A user of ``tenant_id``; 404 for another tenant's."""
    user = await IdentityRepository(session).user(user_id, tenant_id=tenant_id)
    if user is None:
        raise NotFound(f"No user {user_id}")
    return user


async def update_user(
    *, session: AsyncSession, tenant_id: UUID, user_id: UUID, data: UserUpdate
) -> User:
    """Change roles, teams or the disabled state; disabling ends every login of the user
    (access tokens run out within their short lifetime)."""
    user = await require_user(session=session, tenant_id=tenant_id, user_id=user_id)
    if data.roles is not None:
        await check_grantable(session, tenant_id, data.roles)
        user.roles = sorted(set(data.roles))
    if data.team_ids is not None:
        user.team_ids = sorted(set(data.team_ids))
    if data.disabled is not None:
        user.disabled_at = utcnow() if data.disabled else None
        if data.disabled:
            await IdentityRepository(session).revoke_user_tokens(user.id)
    await session.flush()
    return user


async def issue_password_reset(
    *, session: AsyncSession, tenant_id: UUID, user_id: UUID, secret: str, ttl_seconds: int
) -> str:
    """A one-time token that sets the user's password, for the admin to hand over."""
    user = await require_user(session=session, tenant_id=tenant_id, user_id=user_id)
    return reset_token(user.id, user.password_hash, secret=secret, ttl_seconds=ttl_seconds)
