"""Reading one record by id in one round trip, without the ORM: the hot read path.

A read by id through the ORM costs about three times the database's own work (statement
construction, compiled-cache lookups, the identity map, instance loading), and it is the
request a CRM's frontends make most. :class:`RecordReader` compiles, once per visibility
shape, the ``SELECT`` of a model's columns scoped exactly as
:class:`~crm_chassis.repository.TenantRepository` scopes it (tenant, then ``own`` or
``team`` visibility for :class:`~crm_chassis.orm.Owned` models), runs it with asyncpg on a
connection of the service's pool, and returns the row as a :class:`Record` carrying the
ORM attribute names, which a read schema validates exactly as it validates the entity.

Writes, lists, searches and models whose visibility follows a parent stay on the ORM;
:meth:`RecordReader.for_model` says when a model's reads can take this path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from asyncpg import InterfaceError, PostgresError
from sqlalchemy import Float, Numeric, TypeDecorator, any_, bindparam, inspect, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine

from crm_chassis.auth import Actor
from crm_chassis.orm import Owned


class Record(SimpleNamespace):
    """One row under the model's attribute names (``record.version``, ``record.id``)."""


@dataclass(frozen=True)
class _Query:
    sql: str
    params: tuple[tuple[str, Callable[[Any], Any] | None], ...]
    columns: tuple[tuple[str, Callable[[Any], Any] | None], ...]


def _shape(model: type, actor: Actor) -> str:
    if not issubclass(model, Owned) or actor.sees_all:
        return "all"
    if actor.visibility == "team" and actor.team_ids:
        return "team"
    return "own"


class RecordReader:
    """``SELECT`` by id of one model's visible rows, compiled once per shape and dialect."""

    def __init__(self, model: type) -> None:
        self.model = model
        mapper: Any = inspect(model)
        self.attributes = tuple((attr.key, attr.columns[0]) for attr in mapper.column_attrs)
        self.keys = frozenset(key for key, _ in self.attributes)
        self._queries: dict[tuple[str, str], _Query] = {}

    @classmethod
    def for_model(
        cls, model: type, fields: Sequence[str], *, has_parents: bool = False
    ) -> RecordReader | None:
        """A reader when every one of ``fields`` (a read schema's) is a column attribute
        of ``model`` and its rows are visible by themselves; None otherwise (the caller
        reads through the ORM)."""
        if has_parents:
            return None
        reader = cls(model)
        return reader if set(fields) <= reader.keys else None

    async def one(self, engine: AsyncEngine, actor: Actor, id_: UUID) -> Record | None:
        """The row ``id_`` if ``actor`` may see it, else None (another tenant's, or hidden
        by visibility: the same 404 as the ORM path)."""
        query = self._query(_shape(self.model, actor), engine.dialect)
        values = {
            "tenant": actor.tenant_id,
            "id": id_,
            "user": actor.user_id,
            "teams": sorted(actor.team_ids),
        }
        args = [to_db(values[name]) if to_db else values[name] for name, to_db in query.params]
        row = await fetch_row(engine, query.sql, args)
        if row is None:
            return None
        return Record(
            **{
                key: from_db(row[i]) if from_db else row[i]
                for i, (key, from_db) in enumerate(query.columns)
            }
        )

    def _query(self, shape: str, dialect: Dialect) -> _Query:
        cached = self._queries.get((shape, dialect.name))
        if cached is not None:
            return cached
        table: Any = self.model.__table__  # type: ignore[attr-defined]
        criteria = [table.c.tenant_id == bindparam("tenant"), table.c.id == bindparam("id")]
        if shape == "own":
            criteria.append(table.c.owner_id == bindparam("user"))
        elif shape == "team":
            teams = bindparam("teams", type_=ARRAY(table.c.team_id.type))
            criteria.append(
                or_(table.c.owner_id == bindparam("user"), table.c.team_id == any_(teams))
            )
        stmt = select(*(column for _, column in self.attributes)).where(*criteria)
        compiled = stmt.compile(dialect=dialect)
        order = compiled.positiontup or []
        query = _Query(
            sql=compiled.string,
            params=tuple(
                (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
                for name in order
            ),
            columns=tuple((key, _from_db(column, dialect)) for key, column in self.attributes),
        )
        self._queries[(shape, dialect.name)] = query
        return query


def _from_db(column: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    """What SQLAlchemy does to a column's value as asyncpg returns it (JSON, enums, type
    decorators...). A numeric's processor depends on the column's wire type, unknown
    here: asyncpg returns ``Decimal``, which is right unless the type asks for floats."""
    type_ = column.type
    numeric = type_.impl_instance if isinstance(type_, TypeDecorator) else type_
    if not isinstance(numeric, Numeric | Float):  # (Float is no Numeric in SQLAlchemy 2.1)
        return type_.dialect_impl(dialect).result_processor(dialect, None)

    def to_python(value: Any) -> Any:
        return value if value is None or numeric.asdecimal else float(value)

    decorated = isinstance(type_, TypeDecorator) and (
        type(type_).process_result_value is not TypeDecorator.process_result_value
    )
    if decorated:
        return lambda value: type_.process_result_value(to_python(value), dialect)
    return None if numeric.asdecimal else to_python


async def fetch_row(engine: AsyncEngine, sql: str, args: Sequence[Any]) -> Any:
    """One row of ``sql`` on a pooled connection's driver (asyncpg), in one round trip.

    The pool's bounds hold (a pool timeout is a 503, the connection's statement timeout
    too); a connection that failed under the statement is discarded, not pooled again.
    """
    pooled = await engine.raw_connection()
    try:
        driver: Any = pooled.driver_connection
        return await driver.fetchrow(sql, *args)
    except PostgresError:
        raise
    except InterfaceError as exc:
        pooled.invalidate(exc)
        raise ConnectionError(f"database connection failed: {exc}") from exc
    except BaseException as exc:
        pooled.invalidate(exc if isinstance(exc, Exception) else None)
        raise
    finally:
        pooled.close()
