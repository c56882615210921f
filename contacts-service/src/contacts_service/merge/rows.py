"""Generic row operations on any table, driven by PostgreSQL's catalog.

Merge moves, drops and restores rows of whatever tables are registered in
``common.references`` when it runs, including tables other modules add later, so it can
know none of them in advance. Rows travel as ``to_jsonb(row)`` and come back through
``jsonb_populate_record(set)``: PostgreSQL does every type conversion, exactly, both ways.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

Row = dict[str, Any]
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_SYSTEM = ("id", "tenant_id", "version", "created_at", "updated_at")


@dataclass(frozen=True)
class ForeignKey:
    column: str
    table: str
    ref_column: str
    ref_type: str
    nullable: bool


@dataclass(frozen=True)
class TableInfo:
    name: str
    pk: tuple[str, ...]
    columns: tuple[str, ...]
    """Writable columns (generated ones excluded), in table order."""
    types: dict[str, str]
    foreign_keys: tuple[ForeignKey, ...]

    @property
    def scoped(self) -> bool:
        return "tenant_id" in self.types

    @property
    def versioned(self) -> bool:
        return "version" in self.types and "updated_at" in self.types

    def q(self, column: str | None = None) -> str:
        """The quoted table (or column) name; names come from code, and are checked."""
        name = column or self.name
        if not _NAME.match(name):
            raise ValueError(f"unexpected identifier {name!r}")
        return f'"{name}"'

    def key(self, row: Row) -> Row:
        return {c: row[c] for c in self.pk}


_CACHE: dict[str, TableInfo] = {}


async def table_info(session: AsyncSession, name: str) -> TableInfo:
    """Columns, primary key and foreign keys of ``name`` (cached; schemas change only
    with a deployment, which restarts the process)."""
    if name in _CACHE:
        return _CACHE[name]
    if not _NAME.match(name):
        raise ValueError(f"unexpected table name {name!r}")
    columns = (
        await session.execute(
            text(
                """
                SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
                       a.attgenerated <> '' AS generated,
                       COALESCE(a.attnum = ANY(i.indkey), false) AS pk
                FROM pg_attribute a
                LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
                WHERE a.attrelid = CAST(:t AS regclass) AND a.attnum > 0 AND NOT a.attisdropped
                ORDER BY a.attnum
                """
            ),
            {"t": name},
        )
    ).all()
    fks = (
        await session.execute(
            text(
                """
                SELECT a.attname AS col, CAST(c.confrelid AS regclass)::text AS ref,
                       af.attname AS ref_col, format_type(af.atttypid, af.atttypmod) AS ref_type,
                       NOT a.attnotnull AS nullable
                FROM pg_constraint c
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1]
                WHERE c.conrelid = CAST(:t AS regclass) AND c.contype = 'f'
                  AND cardinality(c.conkey) = 1
                """
            ),
            {"t": name},
        )
    ).all()
    info = TableInfo(
        name=name,
        pk=tuple(c.name for c in columns if c.pk),
        columns=tuple(c.name for c in columns if not c.generated),
        types={c.name: c.type for c in columns},
        foreign_keys=tuple(
            ForeignKey(f.col, f.ref.strip('"'), f.ref_col, f.ref_type, f.nullable) for f in fks
        ),
    )
    _CACHE[name] = info
    return info


def _json(value: Any) -> str:
    return json.dumps(value, default=str)


def _scope(info: TableInfo) -> str:
    return f"t.{info.q('tenant_id')} = :tenant AND " if info.scoped else ""


async def select_where(
    session: AsyncSession,
    info: TableInfo,
    column: str,
    values: Sequence[UUID],
    tenant_id: UUID,
    *,
    lock: bool,
) -> list[Row]:
    """Rows whose ``column`` is one of ``values``, in key order, optionally locked."""
    if not values:
        return []
    order = ", ".join(f"t.{info.q(c)}" for c in info.pk)
    sql = (
        f"SELECT to_jsonb(t) AS row FROM {info.q()} t "
        f"WHERE {_scope(info)}t.{info.q(column)} = ANY(CAST(:values AS uuid[])) "
        f"ORDER BY {order}" + (" FOR UPDATE" if lock else "")
    )
    result = await session.execute(text(sql), {"tenant": tenant_id, "values": list(values)})
    return [_writable(info, r.row) for r in result]


def _writable(info: TableInfo, row: Row) -> Row:
    return {c: row.get(c) for c in info.columns}


def _key_join(info: TableInfo) -> str:
    return " AND ".join(f"t.{info.q(c)} = k.{info.q(c)}" for c in info.pk)


async def delete_rows(session: AsyncSession, info: TableInfo, rows: list[Row]) -> None:
    if not rows:
        return
    await session.execute(
        text(
            f"DELETE FROM {info.q()} t USING jsonb_populate_recordset("
            f"NULL::{info.q()}, CAST(:keys AS jsonb)) k WHERE {_key_join(info)}"
        ),
        {"keys": _json([info.key(r) for r in rows])},
    )


async def repoint(
    session: AsyncSession,
    info: TableInfo,
    column: str,
    keys: list[Row],
    *,
    from_: str | None,
    to: str | None,
    tenant_id: UUID,
) -> list[Row]:
    """Set ``column`` from ``from_`` to ``to`` on the rows with ``keys`` that still hold
    ``from_``; versioned rows get a new version. Returns the keys of the rows changed."""
    if not keys:
        return []
    typ = info.types[column]
    bump = (
        f", {info.q('version')} = t.{info.q('version')} + 1, {info.q('updated_at')} = now()"
        if info.versioned
        else ""
    )
    returning = ", ".join(f"t.{info.q(c)} AS {info.q(c)}" for c in info.pk)
    sql = (
        f"UPDATE {info.q()} t SET {info.q(column)} = CAST(:to AS {typ}){bump} "
        f"FROM jsonb_populate_recordset(NULL::{info.q()}, CAST(:keys AS jsonb)) k "
        f"WHERE {_scope(info)}{_key_join(info)} "
        f"AND t.{info.q(column)} IS NOT DISTINCT FROM CAST(:from_ AS {typ}) "
        f"RETURNING {returning}"
    )
    result = await session.execute(
        text(sql),
        {"to": to, "from_": from_, "keys": _json(keys), "tenant": tenant_id},
    )
    return [dict(r._mapping) for r in result]


async def insert_rows(session: AsyncSession, info: TableInfo, rows: list[Row]) -> int:
    """Insert full rows (as ``to_jsonb`` gave them); rows whose key exists are skipped."""
    if not rows:
        return 0
    cols = ", ".join(info.q(c) for c in info.columns)
    result = await session.execute(
        text(
            f"INSERT INTO {info.q()} ({cols}) SELECT {cols} FROM jsonb_populate_recordset("
            f"NULL::{info.q()}, CAST(:rows AS jsonb)) ON CONFLICT DO NOTHING RETURNING 1"
        ),
        {"rows": _json(rows)},
    )
    return len(result.all())


async def restore_row(session: AsyncSession, info: TableInfo, row: Row, tenant_id: UUID) -> None:
    """Set every writable column of the row with ``row``'s key back to ``row``'s values,
    as a new version (the version and update time move forward, never back)."""
    cols = [c for c in info.columns if c not in _SYSTEM]
    targets = ", ".join(info.q(c) for c in cols)
    sources = ", ".join(f"r.{info.q(c)}" for c in cols)
    bump = (
        f", {info.q('version')} = t.{info.q('version')} + 1, {info.q('updated_at')} = now()"
        if info.versioned
        else ""
    )
    await session.execute(
        text(
            f"UPDATE {info.q()} t SET ({targets}) = (SELECT {sources} FROM "
            f"jsonb_populate_record(NULL::{info.q()}, CAST(:row AS jsonb)) r){bump} "
            f"FROM jsonb_populate_record(NULL::{info.q()}, CAST(:row AS jsonb)) k "
            f"WHERE {_scope(info)}{_key_join(info)}"
        ),
        {"row": _json(row), "tenant": tenant_id},
    )


async def set_column(
    session: AsyncSession, info: TableInfo, key: Row, column: str, value: Any
) -> None:
    typ = info.types[column]
    await session.execute(
        text(
            f"UPDATE {info.q()} t SET {info.q(column)} = CAST(:v AS {typ}) "
            f"FROM jsonb_populate_record(NULL::{info.q()}, CAST(:key AS jsonb)) k "
            f"WHERE {_key_join(info)}"
        ),
        {"v": value, "key": _json(key)},
    )


async def without_dangling(
    session: AsyncSession,
    info: TableInfo,
    rows: list[Row],
    *,
    coming: dict[str, set[str]] | None = None,
) -> tuple[list[Row], list[Row]]:
    """``rows`` made safe to write back: a foreign key to a row deleted since is set to
    NULL, or the row is left out when the column cannot be NULL. ``coming`` names rows
    (table -> ids) about to be restored in the same step, which count as present.

    Returns (rows to write, rows left out)."""
    coming = coming or {}
    rows = [dict(r) for r in rows]
    left_out: list[Row] = []
    for fk in info.foreign_keys:
        wanted = {str(r[fk.column]) for r in rows if r.get(fk.column) is not None}
        wanted -= coming.get(fk.table, set())
        if not wanted:
            continue
        present = set(
            (
                await session.execute(
                    text(
                        f"SELECT CAST(x.{info.q(fk.ref_column)} AS text) FROM {info.q(fk.table)} x"
                        f" WHERE x.{info.q(fk.ref_column)}"
                        f" = ANY(CAST(CAST(:v AS text[]) AS {fk.ref_type}[]))"
                    ),
                    {"v": sorted(wanted)},
                )
            ).scalars()
        )
        kept = []
        for row in rows:
            value = row.get(fk.column)
            if value is None or str(value) in present or str(value) in coming.get(fk.table, set()):
                kept.append(row)
            elif fk.nullable:
                kept.append({**row, fk.column: None})
            else:
                left_out.append(row)
        rows = kept
    return rows, left_out


def ids(values: Iterable[Any]) -> set[str]:
    return {str(v) for v in values}
