"""Undoing a merge (C6), in one transaction.

The rule: a merge can be undone once, within the undo window, while its survivor exists
and is still as the merge left it (same content; its version may differ, e.g. after a
later merge into it was undone). A survivor edited since answers 409 unless ``force``
(those edits are then lost); a later merge into the same survivor must be undone first,
whatever ``force`` says. The merged-away records come back with their ids and data (their
version one higher), the survivor gets its former state as a new version, and child rows
return where they were; those that changed or vanished since the merge are left as they
are and counted in the answer.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from crm_chassis.errors import Conflict
from crm_chassis.outbox import emit
from crm_proto.events.contacts import MergeUndone
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from contacts_service.events import events
from contacts_service.merge import moves
from contacts_service.merge import rows as R
from contacts_service.merge.kinds import BY_TABLE, CONTACT, KINDS, Kind, reload, sync_primary_links
from contacts_service.merge.models import Merge
from contacts_service.merge.service import emit_touched, get_merge

Entity = Any


async def undo(
    *,
    session: AsyncSession,
    tenant_id: UUID,
    merge_id: UUID,
    force: bool,
    actor: UUID,
    window: timedelta,
) -> tuple[Merge, int]:
    record = await get_merge(session=session, tenant_id=tenant_id, merge_id=merge_id, lock=True)
    if record.undone_at is not None:
        raise Conflict(f"Merge {merge_id} was already undone at {record.undone_at.isoformat()}")
    if datetime.now(UTC) > record.created_at + window:
        raise Conflict(f"Merge {merge_id} is past its undo window of {window}")
    kind = KINDS[record.kind]
    survivor = (await reload_locked(session, tenant_id, kind, [record.primary_id])).get(
        record.primary_id
    )
    if survivor is None:
        raise Conflict(f"The survivor {record.primary_id} no longer exists (deleted or merged)")
    later = (
        (
            await session.execute(
                select(Merge.id).where(
                    Merge.tenant_id == tenant_id,
                    Merge.primary_id == survivor.id,
                    Merge.created_at > record.created_at,
                    Merge.undone_at.is_(None),
                )
            )
        )
        .scalars()
        .first()
    )
    if later is not None:
        raise Conflict(f"A later merge {later} into {survivor.id} must be undone first")
    info = await R.table_info(session, kind.table)
    [now] = await R.select_where(session, info, "id", [survivor.id], tenant_id, lock=False)
    if _content(now) != _content(record.survivor_after) and not force:
        raise Conflict(
            f"{kind.name.capitalize()} {survivor.id} changed since the merge (version "
            f"{record.survivor_version} -> {survivor.version}); undo with force to discard that"
        )
    if await reload_locked(session, tenant_id, kind, record.merged_ids):
        raise Conflict("A merged-away id exists again; undo would collide with it")
    survivor_was = kind.as_json(survivor)
    try:
        touched, not_restored = await _restore(session, tenant_id, kind, record)
    except IntegrityError as exc:
        raise Conflict(f"Undo would break a uniqueness rule: {exc.orig}") from None
    if kind is CONTACT:
        touched.setdefault("contacts", set()).update(R.ids([survivor.id, *record.merged_ids]))
    await sync_primary_links(session, tenant_id, touched.get("contacts", set()))
    record.undone_at = datetime.now(UTC)
    record.undone_by = actor
    await session.flush()
    await _emit_undone(session, tenant_id, kind, record, survivor_was, touched)
    return record, not_restored


def _content(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("version", "updated_at")}


async def reload_locked(
    session: AsyncSession, tenant_id: UUID, kind: Kind, ids: list[UUID]
) -> dict[UUID, Entity]:
    stmt = (
        select(kind.model)
        .where(kind.model.tenant_id == tenant_id, kind.model.id.in_(sorted(ids)))
        .order_by(kind.model.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {r.id: r for r in (await session.execute(stmt)).scalars()}


async def _restore(
    session: AsyncSession, tenant_id: UUID, kind: Kind, record: Merge
) -> tuple[dict[str, set[str]], int]:
    info = await R.table_info(session, kind.table)
    merged = R.ids(record.merged_ids)
    coming = {kind.table: merged}
    # The survivor first, so unique values it took (external_id) are free again; its
    # references to merged-away records wait until those exist.
    row = dict(record.before[str(record.primary_id)])
    later = {
        fk.column: row[fk.column]
        for fk in info.foreign_keys
        if fk.table == kind.table
        and row.get(fk.column) is not None
        and str(row[fk.column]) in merged
    }
    row.update(dict.fromkeys(later))
    safe, left_out = await R.without_dangling(session, info, [row])
    if left_out:
        raise Conflict("The survivor's former state refers to records deleted since")
    await R.restore_row(session, info, safe[0], tenant_id)
    now = datetime.now(UTC).isoformat()
    restored = [
        {
            **record.before[str(i)],
            "version": record.before[str(i)]["version"] + 1,
            "updated_at": now,
        }
        for i in record.merged_ids
    ]
    restored, left_out = await R.without_dangling(session, info, restored, coming=coming)
    if left_out or await R.insert_rows(session, info, restored) != len(restored):
        raise Conflict("The merged-away records cannot be restored: their values now clash")
    for column, value in later.items():
        await R.set_column(session, info, {"id": str(record.primary_id)}, column, value)
    touched, not_moved, not_inserted = await moves.undo(
        session, moved=record.moved, dropped=record.dropped, tenant_id=tenant_id, restored=coming
    )
    return touched, not_moved + not_inserted


async def _emit_undone(
    session: AsyncSession,
    tenant_id: UUID,
    kind: Kind,
    record: Merge,
    survivor_was: dict[str, Any],
    touched: dict[str, set[str]],
) -> None:
    await emit(
        session,
        events.event(
            "crm.contacts.merge.undone.v1",
            MergeUndone(
                merge_id=record.id,
                kind=kind.name,
                survivor_id=record.primary_id,
                restored_ids=list(record.merged_ids),
            ),
            tenant_id=tenant_id,
            subject=record.primary_id,
        ),
    )
    for restored in await reload(session, tenant_id, kind.model, record.merged_ids):
        await emit(session, kind.created(restored))
    [survivor] = await reload(session, tenant_id, kind.model, [record.primary_id])
    now = kind.as_json(survivor)
    skip = {"version", "updated_at", "created_at"}
    changed = sorted(k for k in now if k not in skip and now[k] != survivor_was.get(k))
    await emit(session, kind.updated(survivor, changed))
    own = R.ids([record.primary_id, *record.merged_ids])
    others = {t: ids - own if BY_TABLE.get(t) is kind else ids for t, ids in touched.items()}
    await emit_touched(session, tenant_id, record.moved, others)
