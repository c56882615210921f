"""Merge (C6): one transaction; every record involved is locked in id order, then every
registered child row is moved to the survivor and the audit record written."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from crm_chassis.errors import Conflict, NotFound, ValidationFailed
from crm_chassis.http import check_if_match
from crm_chassis.outbox import emit
from crm_chassis.pagination import PageParams, apply_keyset, page_of
from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from contacts_service.contacts import events as contact_events
from contacts_service.merge import moves
from contacts_service.merge import rows as R
from contacts_service.merge.kinds import (
    ACCOUNT,
    BY_TABLE,
    CONTACT,
    Kind,
    ancestors,
    reload,
    safe_parent,
    stored_values,
    sync_primary_links,
)
from contacts_service.merge.models import DuplicatePair, Merge
from contacts_service.merge.schemas import MergeRequest
from contacts_service.merge.survivorship import InvalidChoice, Outcome

Entity = Any


@dataclass
class Loaded:
    primary: Entity
    others: list[Entity]
    outcome: Outcome
    stored: dict[str, Any]


def _check_ids(request: MergeRequest) -> None:
    errors = []
    if request.primary_id in request.merged_ids:
        errors.append(
            {"field": "merged_ids", "message": "the primary cannot be merged into itself"}
        )
    if len(set(request.merged_ids)) != len(request.merged_ids):
        errors.append({"field": "merged_ids", "message": "an id is listed twice"})
    if errors:
        raise ValidationFailed("Invalid merge", errors=errors)


async def _explain_missing(
    session: AsyncSession, tenant_id: UUID, kind: Kind, missing: list[UUID]
) -> None:
    """404 for an id this tenant never had; 409 for one merged away already."""
    merges = (
        await session.execute(
            select(Merge).where(
                Merge.tenant_id == tenant_id,
                Merge.kind == kind.name,
                Merge.merged_ids.overlap(missing),
                Merge.undone_at.is_(None),
            )
        )
    ).scalars()
    for done in merges:
        gone = next(i for i in missing if i in done.merged_ids)
        raise Conflict(
            f"{kind.name.capitalize()} {gone} was already merged into {done.primary_id} "
            f"(merge {done.id})"
        )
    raise NotFound(f"No {kind.name} {missing[0]}")


async def _load(
    session: AsyncSession,
    tenant_id: UUID,
    kind: Kind,
    request: MergeRequest,
    *,
    lock: bool,
    region: str,
) -> Loaded:
    _check_ids(request)
    ids = sorted({request.primary_id, *request.merged_ids})
    model = kind.model
    stmt = (
        select(model)
        .where(model.tenant_id == tenant_id, model.id.in_(ids))
        .order_by(model.id)
        .execution_options(populate_existing=True)
    )
    if lock:  # in id order: two merges over the same records cannot deadlock
        stmt = stmt.with_for_update()
    found = {r.id: r for r in (await session.execute(stmt)).scalars()}
    missing = [i for i in ids if i not in found]
    if missing:
        await _explain_missing(session, tenant_id, kind, missing)
    primary = found[request.primary_id]
    others = [found[i] for i in request.merged_ids]
    choices = {k: str(v) for k, v in request.field_choices.items()}
    try:
        outcome = kind.survive(kind.as_json(primary), [kind.as_json(o) for o in others], choices)
    except InvalidChoice as exc:
        raise ValidationFailed("Invalid field choices", errors=exc.errors) from None
    stored = stored_values(kind, outcome.values, region)
    return Loaded(primary, others, outcome, stored)


async def preview(
    *, session: AsyncSession, tenant_id: UUID, kind: Kind, request: MergeRequest, region: str
) -> dict[str, Any]:
    """What merging would do: the resulting record, who won each field, the child rows
    that would move or be dropped. Writes nothing."""
    loaded = await _load(session, tenant_id, kind, request, lock=False, region=region)
    primary = loaded.primary
    stored = dict(loaded.stored)
    if kind is ACCOUNT:
        stored["parent_id"] = await safe_parent(
            session, tenant_id, primary.id, request.merged_ids, stored["parent_id"]
        )
    plan = await moves.plan(
        session,
        tenant_id=tenant_id,
        kind=kind.name,
        own_table=kind.table,
        survivor=primary.id,
        merged=request.merged_ids,
        detach=await ancestors(session, tenant_id, kind, primary.id),
        lock=False,
    )
    # A transient copy, never added to the session: only to render the result as a read.
    system = {
        c: getattr(primary, c) for c in ("id", "tenant_id", "version", "created_at", "updated_at")
    }
    record = kind.model(**system, **stored)
    return {
        "primary_id": primary.id,
        "merged_ids": request.merged_ids,
        "record": kind.read.model_validate(record),
        "fields": loaded.outcome.sources,
        "children": plan.summary(),
    }


def _comparable(value: Any) -> Any:
    return str(value) if isinstance(value, UUID) else value


def _assign(record: Entity, stored: dict[str, Any]) -> list[str]:
    changed = sorted(
        k
        for k, v in stored.items()
        if k != "search_text" and _comparable(getattr(record, k)) != _comparable(v)
    )
    for key in changed + (["search_text"] if "search_text" in stored else []):
        setattr(record, key, stored[key])
    return changed


async def merge(
    *,
    session: AsyncSession,
    tenant_id: UUID,
    kind: Kind,
    request: MergeRequest,
    if_match: str | None,
    region: str,
    actor: UUID,
) -> tuple[Merge, Entity]:
    loaded = await _load(session, tenant_id, kind, request, lock=True, region=region)
    survivor, merged_ids = loaded.primary, request.merged_ids
    check_if_match(if_match, survivor.version)
    info = await R.table_info(session, kind.table)
    before = await R.select_where(
        session, info, "id", [survivor.id, *merged_ids], tenant_id, lock=False
    )
    plan = await moves.plan(
        session,
        tenant_id=tenant_id,
        kind=kind.name,
        own_table=kind.table,
        survivor=survivor.id,
        merged=merged_ids,
        detach=await ancestors(session, tenant_id, kind, survivor.id),
        lock=True,
    )
    moved, dropped, touched = await moves.execute(session, plan, tenant_id=tenant_id)
    for other in loaded.others:
        await session.delete(other)
    await session.flush()  # before the survivor takes over unique values (external_id)
    stored = dict(loaded.stored)
    if kind is ACCOUNT:
        stored["parent_id"] = await safe_parent(
            session, tenant_id, survivor.id, merged_ids, stored["parent_id"]
        )
    consent_before = (survivor.do_not_contact, dict(survivor.consent)) if kind is CONTACT else None
    changed = _assign(survivor, stored)
    await session.flush()
    contacts = set(touched.get("contacts", set()))
    if kind is CONTACT:
        contacts.add(str(survivor.id))
    await sync_primary_links(session, tenant_id, contacts)
    [after] = await R.select_where(session, info, "id", [survivor.id], tenant_id, lock=False)
    record = Merge(
        tenant_id=tenant_id,
        kind=kind.name,
        primary_id=survivor.id,
        merged_ids=list(merged_ids),
        before={str(r["id"]): r for r in before},
        moved=moved,
        dropped=dropped,
        fields=loaded.outcome.sources,
        survivor_version=survivor.version,
        survivor_after=after,
        merged_by=actor,
    )
    session.add(record)
    await session.flush()
    await session.execute(
        delete(DuplicatePair).where(
            DuplicatePair.tenant_id == tenant_id,
            DuplicatePair.kind == kind.name,
            or_(DuplicatePair.a_id.in_(merged_ids), DuplicatePair.b_id.in_(merged_ids)),
        )
    )
    await emit(session, kind.merged(record.id, survivor, list(merged_ids)))
    if changed:
        await emit(session, kind.updated(survivor, [c for c in changed if not c.endswith("_keys")]))
    if consent_before is not None and consent_before != (survivor.do_not_contact, survivor.consent):
        await emit(session, contact_events.consent_changed(survivor, *consent_before))
    await emit_touched(session, tenant_id, moved, touched)
    return record, survivor


async def emit_touched(
    session: AsyncSession,
    tenant_id: UUID,
    moved: list[dict[str, Any]],
    touched: dict[str, set[str]],
) -> None:
    """``updated`` events for contacts and accounts whose reference was re-pointed."""
    columns: dict[tuple[str, str], set[str]] = defaultdict(set)
    for entry in moved:
        for key in entry["keys"]:
            columns[(entry["table"], str(key.get("id")))].add(entry["column"])
    for table, ids in touched.items():
        kind = BY_TABLE.get(table)
        if kind is None:
            continue
        for row in await reload(session, tenant_id, kind.model, ids):
            await emit(session, kind.updated(row, sorted(columns[(table, str(row.id))])))


async def get_merge(
    *, session: AsyncSession, tenant_id: UUID, merge_id: UUID, lock: bool = False
) -> Merge:
    stmt = select(Merge).where(Merge.tenant_id == tenant_id, Merge.id == merge_id)
    if lock:
        stmt = stmt.with_for_update()
    record = (await session.execute(stmt)).scalar_one_or_none()
    if record is None:
        raise NotFound(f"No merge {merge_id}")
    return record


async def list_merges(
    *,
    session: AsyncSession,
    tenant_id: UUID,
    params: PageParams,
    kind: str | None,
    record_id: UUID | None,
) -> tuple[list[Merge], str | None]:
    stmt = select(Merge).where(Merge.tenant_id == tenant_id)
    if kind:
        stmt = stmt.where(Merge.kind == kind)
    if record_id:
        stmt = stmt.where(
            or_(Merge.primary_id == record_id, Merge.merged_ids.contains([record_id]))
        )
    stmt, sort = apply_keyset(
        stmt, params, sortable={"created_at": Merge.created_at}, id_column=Merge.id
    )
    rows = list((await session.execute(stmt)).scalars())
    return page_of(rows, params, sort, lambda m: (m.created_at, m.id))
