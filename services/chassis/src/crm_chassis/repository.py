"""The repository base: every query it builds is scoped by tenant.

A repository is constructed with a session and a tenant id and there is no method that
reads or writes without that tenant in the WHERE clause, so another tenant's record is
simply not found (404), never leaked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar
from uuid import UUID

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_chassis.errors import NotFound
from crm_chassis.orm import Entity

M = TypeVar("M", bound=Entity)


class TenantRepository(Generic[M]):
    """CRUD over one tenant's rows of ``model``; subclasses add their queries."""

    model: type[M]

    def __init__(self, session: AsyncSession, tenant_id: UUID) -> None:
        if not isinstance(tenant_id, UUID):
            raise ValueError("a repository needs the tenant it works for")
        self.session = session
        self.tenant_id = tenant_id

    def select(self, *entities: Any) -> Select[Any]:
        """``SELECT`` over this tenant's rows (of ``entities`` or the model)."""
        stmt = select(*(entities or (self.model,)))
        return stmt.where(self.model.tenant_id == self.tenant_id)

    async def get(self, id_: UUID, *, for_update: bool = False) -> M | None:
        stmt = self.select().where(self.model.id == id_)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def require(self, id_: UUID, *, for_update: bool = False) -> M:
        """The row with ``id_``, or :class:`NotFound` (also for another tenant's row)."""
        entity = await self.get(id_, for_update=for_update)
        if entity is None:
            label = getattr(self, "label", self.model.__name__.lower())
            raise NotFound(f"No {label} {id_}")
        return entity

    async def get_many(self, ids: Sequence[UUID]) -> list[M]:
        if not ids:
            return []
        stmt = self.select().where(self.model.id.in_(ids))
        return list((await self.session.execute(stmt)).scalars())

    async def list(self, stmt: Select[Any] | None = None) -> list[M]:
        return list(
            (await self.session.execute(stmt if stmt is not None else self.select())).scalars()
        )

    async def count(self) -> int:
        stmt = self.select(func.count()).select_from(self.model)
        return int((await self.session.execute(stmt)).scalar_one())

    async def add(self, entity: M) -> M:
        """Stage ``entity`` under this tenant and flush it (so constraint errors surface)."""
        if entity.tenant_id is None:
            entity.tenant_id = self.tenant_id
        elif entity.tenant_id != self.tenant_id:
            raise ValueError("entity belongs to another tenant")
        self.session.add(entity)
        await self.session.flush()
        return entity

    async def delete(self, entity: M) -> None:
        if entity.tenant_id != self.tenant_id:
            raise ValueError("entity belongs to another tenant")
        await self.session.delete(entity)
        await self.session.flush()

    async def delete_where(self, *criteria: Any) -> int:
        stmt = delete(self.model).where(self.model.tenant_id == self.tenant_id, *criteria)
        result = await self.session.execute(stmt)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
