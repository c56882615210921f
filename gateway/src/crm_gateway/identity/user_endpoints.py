"""Users of a tenant, administered by its admins."""

from __future__ import annotations

from uuid import UUID

from crm_chassis.db import SessionDep
from fastapi import APIRouter, Response, status

from crm_gateway.identity import users
from crm_gateway.identity.deps import AdminDep, SettingsDep
from crm_gateway.identity.repository import IdentityRepository
from crm_gateway.identity.schemas import (
    PasswordResetIssued,
    UserCreate,
    UserRead,
    UserUpdate,
)

router = APIRouter(prefix="/v1/users", tags=["identity"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_user(
    body: UserCreate, session: SessionDep, admin: AdminDep, response: Response
) -> UserRead:
    """A new user of the caller's tenant, with roles and teams."""
    user = await users.create_user(session=session, tenant_id=admin.tenant_id, data=body)
    response.headers["Location"] = f"/v1/users/{user.id}"
    return UserRead.model_validate(user)


@router.get("")
async def list_users(session: SessionDep, admin: AdminDep) -> list[UserRead]:
    """The tenant's users, oldest first."""
    found = await IdentityRepository(session).users_of_tenant(admin.tenant_id)
    return [UserRead.model_validate(u) for u in found]


@router.get("/{id:uuid}")
async def get_user(id: UUID, session: SessionDep, admin: AdminDep) -> UserRead:
    user = await users.require_user(session=session, tenant_id=admin.tenant_id, user_id=id)
    return UserRead.model_validate(user)


@router.patch("/{id:uuid}")
async def update_user(
    id: UUID,
    body: UserUpdate,
    session: SessionDep,
    admin: AdminDep,
) -> UserRead:
    """Change a user's roles, teams, or disable them (which ends their logins)."""
    user = await users.update_user(
        session=session, tenant_id=admin.tenant_id, user_id=id, data=body
    )
    return UserRead.model_validate(user)


@router.post("/{id:uuid}/password-reset", status_code=status.HTTP_201_CREATED)
async def issue_password_reset(
    id: UUID,
    session: SessionDep,
    admin: AdminDep,
    settings: SettingsDep,
    response: Response,
) -> PasswordResetIssued:
    """A one-time token that sets the user's password at
    ``POST /v1/auth/password-reset/confirm``."""
    token = await users.issue_password_reset(
        session=session,
        tenant_id=admin.tenant_id,
        user_id=id,
        secret=settings.jwt_secret,
        ttl_seconds=settings.password_reset_ttl_seconds,
    )
    response.headers["Cache-Control"] = "no-store"
    return PasswordResetIssued(token=token, expires_in=settings.password_reset_ttl_seconds)
