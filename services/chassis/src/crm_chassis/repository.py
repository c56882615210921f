"""Repositories: every query they build is scoped by tenant and by the caller's visibility.

A repository is constructed with a session and the :class:`~crm_chassis.auth.Actor` it
works for (a bare tenant id stands for the service itself, :meth:`Actor.system`). No
method reads or writes without that tenant in the WHERE clause, and over an
:class:`~crm_chassis.orm.Owned` model none without the actor's visibility: another
tenant's record, or a colleague's the caller may not see, is simply not found (404).

:class:`TenantRepository` serves aggregates (UUID id, version); :class:`RowsRepository`
serves child and association tables keyed otherwise (list members, links).
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any, Generic, TypeVar
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, delete, exists, func, or_, select, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm_chassis.auth import Actor
from crm_chassis.errors import Forbidden, NotFound
from crm_chassis.orm import Entity, Owned
from crm_chassis.pagination import PageParams, apply_keyset, page_of

M = TypeVar("M", bound=Entity)
R = TypeVar("R")


def actor_of(who: Actor | UUID) -> Actor:
    """The actor a repository works for; a bare tenant id is the service itself."""
    if isinstance(who, Actor):
        return who
    if isinstance(who, UUID):
        return Actor.system(who)
    raise ValueError("a repository needs the actor (or tenant) it works for")


def visibility_clause(model: Any, actor: Actor) -> ColumnElement[bool]:
    """The rows of an :class:`Owned` ``model`` that ``actor`` may see (all for others)."""
    if not (isinstance(model, type) and issubclass(model, Owned)) or actor.sees_all:
        return true()
    owned: Any = model
    mine = owned.owner_id == actor.user_id
    if actor.visibility == "own":
        return mine
    if not actor.team_ids:
        return mine
    return or_(mine, owned.team_id.in_(sorted(actor.team_ids)))


def may_hold(actor: Actor, owner_id: UUID | None, team_id: UUID | None) -> bool:
    """Whether ``actor`` would still see a record owned by ``owner_id`` in ``team_id``."""
    if actor.sees_all:
        return True
    if owner_id == actor.user_id:
        return True
    return actor.visibility == "team" and team_id is not None and team_id in actor.team_ids


def through_parents(
    parents: Sequence[tuple[Any, Any]], tenant_id: UUID, actor: Actor
) -> ColumnElement[bool]:
    """A child row is visible when one of the owned records it names is visible.

    ``parents`` pairs a child column with the :class:`Owned` model it points at (a note's
    ``(Note.contact_id, Contact)``): notes, attachments and timeline lines of a contact
    the caller may not see are as hidden as the contact.
    """
    if actor.sees_all or not parents:
        return true()
    return or_(
        *(
            and_(
                column.is_not(None),
                exists().where(
                    parent.id == column,
                    parent.tenant_id == tenant_id,
                    visibility_clause(parent, actor),
                ),
            )
            for column, parent in parents
        )
    )


class TenantRepository(Generic[M]):
    """CRUD over one tenant's rows of ``model`` the actor may see; subclasses add queries."""

    model: type[M]
    parents: Sequence[tuple[Any, Any]] = ()
    """For a child model: (column, the owned model it belongs to) pairs (see
    :func:`through_parents`); its rows are visible through those."""
    label: str | None = None
    """How a record is named in a 404 (the model's name in lower case by default)."""
    sortable: Mapping[str, Any] = {}
    """Sort name -> column (or expression) for :meth:`page`; ``created_at`` when empty."""

    def __init__(self, session: AsyncSession, actor: Actor | UUID) -> None:
        self.session = session
        self.actor = actor_of(actor)
        self.tenant_id = self.actor.tenant_id

    @property
    def owned(self) -> bool:
        return issubclass(self.model, Owned)

    def scope(self) -> list[ColumnElement[bool]]:
        """The WHERE criteria every statement of this repository carries."""
        return [
            self.model.tenant_id == self.tenant_id,
            visibility_clause(self.model, self.actor),
            through_parents(self.parents, self.tenant_id, self.actor),
        ]

    def select(self, *entities: Any) -> Select[Any]:
        """``SELECT`` over the rows of ``model`` this actor may see."""
        return select(*(entities or (self.model,))).where(*self.scope())

    async def get(self, id_: UUID, *, for_update: bool = False) -> M | None:
        stmt = self.select().where(self.model.id == id_)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def require(self, id_: UUID, *, for_update: bool = False) -> M:
        """The row with ``id_``, or :class:`NotFound` (also for a row the actor may not
        see: another tenant's, or a colleague's under ``own`` visibility)."""
        entity = await self.get(id_, for_update=for_update)
        if entity is None:
            raise self.missing(id_)
        return entity

    @classmethod
    def missing(cls, id_: UUID) -> NotFound:
        """The 404 of a record ``id_`` that does not exist or may not be seen."""
        return NotFound(f"No {cls.label or cls.model.__name__.lower()} {id_}")

    async def exists(self, id_: UUID) -> bool:
        stmt = self.select(self.model.id).where(self.model.id == id_)
        return (await self.session.execute(stmt)).first() is not None

    async def get_many(self, ids: Sequence[UUID]) -> list[M]:
        if not ids:
            return []
        stmt = self.select().where(self.model.id.in_(ids))
        return list((await self.session.execute(stmt)).scalars())

    async def visible_ids(self, ids: Sequence[UUID]) -> set[UUID]:
        """Those of ``ids`` that name a row this actor may see."""
        if not ids:
            return set()
        stmt = self.select(self.model.id).where(self.model.id.in_(list(ids)))
        return set((await self.session.execute(stmt)).scalars())

    async def list(self, stmt: Select[Any] | None = None) -> list[M]:
        return list(
            (await self.session.execute(stmt if stmt is not None else self.select())).scalars()
        )

    async def count(self) -> int:
        stmt = self.select(func.count()).select_from(self.model)
        return int((await self.session.execute(stmt)).scalar_one())

    def filtered(self, filters: Any) -> Select[Any]:
        """The visible rows matching a resource's list filters (a model of query
        parameters); a repository with filters overrides it."""
        return self.select()

    async def page(
        self,
        params: PageParams,
        stmt: Select[Any] | None = None,
        *,
        default: str = "-created_at",
    ) -> tuple[builtins.list[M], str | None]:
        """One keyset page of ``stmt`` (default: every visible row), sorted by
        :attr:`sortable`; the rows and the next cursor."""
        sortable = self.sortable or {"created_at": self.model.created_at}
        query, sort = apply_keyset(
            stmt if stmt is not None else self.select(),
            params,
            sortable=sortable,
            id_column=self.model.id,
            default=default,
        )
        rows = await self.list(query)
        return page_of(rows, params, sort, lambda row: (self.sort_value(row, sort), row.id))

    def sort_value(self, row: M, sort: str) -> Any:
        """The value of ``row`` under ``sort`` as the cursor keeps it; override when a
        sort expression is not a plain attribute (``lower(last_name)``)."""
        return getattr(row, sort.lstrip("-"))

    def check_holdable(self, entity: M) -> None:
        """403 unless the actor may own or keep ``entity`` as assigned (own/team)."""
        if not self.owned or self.actor.sees_all:
            return
        record: Any = entity
        if record.owner_id is None:
            record.owner_id = self.actor.user_id
        if record.team_id is None and len(self.actor.team_ids) == 1:
            (record.team_id,) = self.actor.team_ids
        if not may_hold(self.actor, record.owner_id, record.team_id):
            field = "owner_id" if self.actor.visibility == "own" else "team_id"
            raise Forbidden(
                f"Your visibility ({self.actor.visibility}) does not let you assign this "
                f"record to that {field.removesuffix('_id')}",
                errors=[{"field": field, "message": "not yours to assign"}],
            )

    async def add(self, entity: M) -> M:
        """Stage ``entity`` under this tenant and flush it (so constraint errors surface);
        an owned record is the actor's unless they may assign it elsewhere."""
        if entity.tenant_id is None:
            entity.tenant_id = self.tenant_id
        elif entity.tenant_id != self.tenant_id:
            raise ValueError("entity belongs to another tenant")
        self.check_holdable(entity)
        self.session.add(entity)
        await self.session.flush()
        return entity

    async def delete(self, entity: M) -> None:
        if entity.tenant_id != self.tenant_id:
            raise ValueError("entity belongs to another tenant")
        await self.session.delete(entity)
        await self.session.flush()

    async def delete_where(self, *criteria: Any) -> int:
        stmt = delete(self.model).where(*self.scope(), *criteria)
        result = await self.session.execute(stmt)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


class RowsRepository(Generic[R]):
    """One tenant's rows of a child or association table (no id, no version of its own).

    Every statement carries the tenant; :meth:`insert_new` and :meth:`delete_returning`
    cover the set-like writes such tables see (add members, unlink).
    """

    model: type[R]

    def __init__(self, session: AsyncSession, actor: Actor | UUID) -> None:
        self.session = session
        self.actor = actor_of(actor)
        self.tenant_id = self.actor.tenant_id

    def select(self, *entities: Any) -> Select[Any]:
        return select(*(entities or (self.model,))).where(
            self.model.tenant_id == self.tenant_id  # type: ignore[attr-defined]
        )

    async def list(self, stmt: Select[Any] | None = None) -> builtins.list[R]:
        return list(
            (await self.session.execute(stmt if stmt is not None else self.select())).scalars()
        )

    async def insert_new(
        self, rows: Sequence[dict[str, Any]], returning: Any
    ) -> builtins.list[Any]:
        """Insert ``rows`` under this tenant, skipping those already present; the
        ``returning`` column of the rows inserted."""
        if not rows:
            return []
        values = [{**row, "tenant_id": self.tenant_id} for row in rows]
        stmt = insert(self.model).values(values).on_conflict_do_nothing().returning(returning)
        return list((await self.session.execute(stmt)).scalars())

    async def delete_returning(self, returning: Any, *criteria: Any) -> builtins.list[Any]:
        stmt = (
            delete(self.model)
            .where(self.model.tenant_id == self.tenant_id, *criteria)  # type: ignore[attr-defined]
            .returning(returning)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def count_by(self, key: Any, keys: Sequence[Any]) -> dict[Any, int]:
        """Rows per value of ``key`` among ``keys``, in one query (0 for those with none)."""
        if not keys:
            return {}
        stmt = (
            select(key, func.count())
            .where(self.model.tenant_id == self.tenant_id, key.in_(list(keys)))  # type: ignore[attr-defined]
            .group_by(key)
        )
        counts: dict[Any, int] = dict((await self.session.execute(stmt)).all())
        return {k: int(counts.get(k, 0)) for k in keys}
