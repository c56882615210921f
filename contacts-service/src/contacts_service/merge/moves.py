"""Re-pointing every registered child row from merged-away records to the survivor.

Table by table, for whatever ``common.references`` holds when the merge runs: rows that
would collide with one the survivor already has (same ``unique_with`` values) are
duplicates and are dropped; the rest are re-pointed. Both are recorded, so undo can put
every row back exactly: moved rows by primary key, dropped rows in full.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from contacts_service.common.references import Reference, of_kind
from contacts_service.merge import rows as R


@dataclass
class TablePlan:
    reference: Reference
    info: R.TableInfo
    groups: dict[tuple[str, str | None], list[R.Row]] = field(default_factory=dict)
    """(from id, to id or None) -> keys of the rows to re-point."""
    dropped: list[R.Row] = field(default_factory=list)

    @property
    def moved_count(self) -> int:
        return sum(len(keys) for keys in self.groups.values())


@dataclass
class MovePlan:
    tables: list[TablePlan] = field(default_factory=list)

    def summary(self) -> list[dict[str, Any]]:
        return [
            {
                "table": t.reference.table,
                "column": t.reference.column,
                "moved": t.moved_count,
                "dropped": len(t.dropped),
            }
            for t in self.tables
        ]


async def plan(
    session: AsyncSession,
    *,
    tenant_id: UUID,
    kind: str,
    own_table: str,
    survivor: UUID,
    merged: list[UUID],
    detach: set[UUID],
    lock: bool,
) -> MovePlan:
    """What moving the children of ``merged`` to ``survivor`` does, without doing it.

    Rows of the records' own table (an account's ``parent_id``) that are records of the
    merge themselves are left alone: their own before-state restores them. Such rows whose
    id is in ``detach`` (the survivor's ancestors) are detached (NULL) instead, so no
    hierarchy becomes a cycle.
    """
    out = MovePlan()
    involved = R.ids([survivor, *merged])
    for reference in of_kind(kind):
        info = await R.table_info(session, reference.table)
        found = await R.select_where(session, info, reference.column, merged, tenant_id, lock=lock)
        if reference.table == own_table:
            found = [r for r in found if str(r["id"]) not in involved]
        if not found:
            continue
        table = TablePlan(reference, info)
        taken: set[tuple[Any, ...]] = set()
        if reference.unique_with:
            have = await R.select_where(
                session, info, reference.column, [survivor], tenant_id, lock=lock
            )
            taken = {tuple(r[c] for c in reference.unique_with) for r in have}
        groups: dict[tuple[str, str | None], list[R.Row]] = defaultdict(list)
        for row in found:
            detached = reference.table == own_table and str(row["id"]) in R.ids(detach)
            to = None if detached else str(survivor)
            if reference.unique_with and to is not None:
                twin = tuple(row[c] for c in reference.unique_with)
                if twin in taken:
                    table.dropped.append(row)
                    continue
                taken.add(twin)
            groups[(str(row[reference.column]), to)].append(info.key(row))
        table.groups = dict(groups)
        out.tables.append(table)
    return out


async def execute(
    session: AsyncSession, move_plan: MovePlan, *, tenant_id: UUID
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, set[str]]]:
    """Drop the duplicates, then re-point the rest. Returns the audit of moved rows, of
    dropped rows, and the ids of versioned rows changed per table (for their events)."""
    moved: list[dict[str, Any]] = []
    dropped: list[dict[str, Any]] = []
    touched: dict[str, set[str]] = defaultdict(set)
    for table in move_plan.tables:
        ref = table.reference
        await R.delete_rows(session, table.info, table.dropped)
        dropped += [{"table": ref.table, "column": ref.column, "row": r} for r in table.dropped]
        for (from_, to), keys in table.groups.items():
            done = await R.repoint(
                session, table.info, ref.column, keys, from_=from_, to=to, tenant_id=tenant_id
            )
            # Keys as they are after the move (the column may be part of the key): undo
            # finds the rows by them.
            after = [{**k, ref.column: to} if ref.column in k else k for k in keys]
            moved.append(
                {"table": ref.table, "column": ref.column, "from": from_, "to": to, "keys": after}
            )
            if table.info.versioned and "id" in table.info.pk:
                touched[ref.table] |= {str(k["id"]) for k in done}
    return moved, dropped, dict(touched)


async def undo(
    session: AsyncSession,
    *,
    moved: list[dict[str, Any]],
    dropped: list[dict[str, Any]],
    tenant_id: UUID,
    restored: dict[str, set[str]],
) -> tuple[dict[str, set[str]], int, int]:
    """Point moved rows back (those still pointing where the merge left them) and
    re-insert dropped rows (unless what they refer to is gone since).

    Returns the versioned rows changed per table, and how many moved and dropped rows
    could not be put back."""
    touched: dict[str, set[str]] = defaultdict(set)
    not_moved = 0
    for entry in reversed(moved):
        info = await R.table_info(session, entry["table"])
        done = await R.repoint(
            session,
            info,
            entry["column"],
            entry["keys"],
            from_=entry["to"],
            to=entry["from"],
            tenant_id=tenant_id,
        )
        not_moved += len(entry["keys"]) - len(done)
        if info.versioned and "id" in info.pk:
            touched[entry["table"]] |= {str(k["id"]) for k in done}
    by_table: dict[str, list[R.Row]] = defaultdict(list)
    for entry in dropped:
        by_table[entry["table"]].append(entry["row"])
    not_inserted = 0
    for name, rows in by_table.items():
        info = await R.table_info(session, name)
        safe, left_out = await R.without_dangling(session, info, rows, coming=restored)
        inserted = await R.insert_rows(session, info, safe)
        not_inserted += len(left_out) + len(safe) - inserted
    return dict(touched), not_moved, not_inserted
