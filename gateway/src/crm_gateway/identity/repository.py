"""All SQL of identity."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from crm_chassis.orm import utcnow
from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm_gateway.identity.models import ApiKey, RefreshToken, Role, Tenant, User

# Any constant unique to this use: serialises concurrent bootstraps (two replicas starting).
_BOOTSTRAP_LOCK = 0x63726D5F626F6F74
# Token requests may be frequent; recording use once a minute is precise enough.
_TOUCH_EVERY = timedelta(minutes=1)


class IdentityRepository:
    """Tenants and API keys.

    Looking a key up by its hash is the one query not scoped by tenant: the key is what
    tells which tenant is calling. Everything else takes the tenant.
    """

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def key_by_hash(self, key_hash: str) -> ApiKey | None:
        stmt = select(ApiKey).where(ApiKey.key_hash == key_hash)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def key_of_tenant(
        self, tenant_id: UUID, key_id: UUID, *, for_update: bool = False
    ) -> ApiKey | None:
        stmt = select(ApiKey).where(ApiKey.tenant_id == tenant_id, ApiKey.id == key_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def touch_key(self, key_id: UUID) -> None:
        """Record that the key was used, at most once per minute (one cheap UPDATE)."""
        now = utcnow()
        stmt = (
            update(ApiKey)
            .where(
                ApiKey.id == key_id,
                or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - _TOUCH_EVERY),
            )
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(stmt)

    async def tenant_by_name(self, name: str) -> Tenant | None:
        stmt = select(Tenant).where(Tenant.name == name)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def keys_of_tenant(self, tenant_id: UUID) -> list[ApiKey]:
        stmt = (
            select(ApiKey)
            .where(ApiKey.tenant_id == tenant_id)
            .order_by(ApiKey.created_at.desc(), ApiKey.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def tenant(self, tenant_id: UUID) -> Tenant | None:
        return await self.session.get(Tenant, tenant_id)

    async def custom_roles(self, tenant_id: UUID, names: list[str]) -> list[Role]:
        """The tenant's own roles among ``names``."""
        if not names:
            return []
        stmt = select(Role).where(Role.tenant_id == tenant_id, Role.name.in_(names))
        return list((await self.session.execute(stmt)).scalars())

    async def user_by_email(self, email: str) -> User | None:
        """Unscoped like :meth:`key_by_hash`: at login the email tells the tenant."""
        stmt = select(User).where(func.lower(User.email) == email.lower())
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def user(self, user_id: UUID, *, tenant_id: UUID | None = None) -> User | None:
        """A user by id; scoped by ``tenant_id`` unless the id came from a token we signed
        (a refresh or reset token)."""
        stmt = select(User).where(User.id == user_id)
        if tenant_id is not None:
            stmt = stmt.where(User.tenant_id == tenant_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def users_of_tenant(self, tenant_id: UUID) -> list[User]:
        stmt = select(User).where(User.tenant_id == tenant_id).order_by(User.created_at, User.id)
        return list((await self.session.execute(stmt)).scalars())

    async def refresh_token_by_hash(self, token_hash: str) -> RefreshToken | None:
        """Locked: two concurrent uses of one token must not both rotate it."""
        stmt = select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def revoke_family(self, family_id: UUID) -> None:
        stmt = (
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(stmt)

    async def revoke_user_tokens(self, user_id: UUID) -> None:
        stmt = (
            update(RefreshToken)
            .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(stmt)

    async def add(self, row: Tenant | ApiKey | User | RefreshToken) -> None:
        """Stage ``row`` and flush, so a unique violation surfaces here."""
        self.session.add(row)
        await self.session.flush()

    async def lock_bootstrap(self) -> None:
        """Hold the bootstrap lock until the transaction ends."""
        await self.session.execute(select(func.pg_advisory_xact_lock(_BOOTSTRAP_LOCK)))
