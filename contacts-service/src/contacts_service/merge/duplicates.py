"""Finding duplicates (C6): for one record on demand, and over a tenant by a scan job.

A scan is a chassis long task (``crm_chassis.tasks``): each step handles one batch of
records in id order (blocking queries for the whole batch, scoring in Python), saves the
pairs it found and advances the scan's cursor, committed together. A crash loses at most
the batch in flight, which is then run again. When the last batch is done, the pairs an
earlier scan found and this one did not are removed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

from crm_chassis import tasks
from crm_chassis.errors import Conflict, NotFound
from crm_chassis.pagination import PageParams, apply_keyset, page_of
from sqlalchemy import and_, delete, exists, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contacts_service.merge.candidates import (
    account_features,
    account_pairs,
    contact_features,
    contact_pairs,
)
from contacts_service.merge.kinds import ACCOUNT, KINDS, Kind
from contacts_service.merge.models import DuplicatePair
from contacts_service.merge.schemas import ScanRead
from contacts_service.merge.scoring import Match, score_accounts, score_contacts

SCAN_BATCH = 500
SCAN_PER_KEY = 20
LOOKUP_PER_KEY = 50
FEATURE_COLUMNS = {
    "contact": (
        "id",
        "first_name",
        "last_name",
        "email_keys",
        "phone_keys",
        "company",
        "account_id",
    ),
    "account": ("id", "name", "domain", "website", "phone"),
}
STALE_SCAN = timedelta(hours=1)
"""A running scan not advanced for this long is taken as dead (its job gave up)."""


async def _candidates(
    session: AsyncSession, tenant_id: UUID, kind: Kind, probes: list[Any], *, scan: bool
) -> tuple[dict[tuple[UUID, UUID], Match], dict[UUID, Any]]:
    """Scores of the candidate pairs of ``probes``, and every record involved by id."""
    per_key = SCAN_PER_KEY if scan else LOOKUP_PER_KEY
    features: Callable[[Any], Any]
    score: Callable[[Any, Any], Match]
    if kind is ACCOUNT:
        pairs = await account_pairs(session, tenant_id, probes, after=scan, per_key=per_key)
        features, score = account_features, score_accounts
    else:
        pairs = await contact_pairs(
            session, tenant_id, probes, after=scan, per_key=per_key, same_account=not scan
        )
        features, score = contact_features, score_contacts
    known = {p.id: p for p in probes}
    wanted = sorted({b for _, b in pairs} - set(known))
    if wanted:
        # A scan needs only what scoring reads; a lookup answers with whole records.
        model = kind.model
        columns = [getattr(model, c) for c in FEATURE_COLUMNS[kind.name]]
        stmt = select(*columns) if scan else select(model)
        stmt = stmt.where(model.tenant_id == tenant_id, model.id.in_(wanted))
        result = await session.execute(stmt)
        known.update({r.id: r for r in (result.all() if scan else result.scalars())})
    cache: dict[UUID, Any] = {i: features(r) for i, r in known.items()}
    scores = {(a, b): score(cache[a], cache[b]) for a, b in pairs if a in cache and b in cache}
    return scores, known


async def for_record(
    *,
    session: AsyncSession,
    tenant_id: UUID,
    kind: Kind,
    record_id: UUID,
    min_score: float,
    limit: int,
) -> list[tuple[Any, Match]]:
    """The records that may duplicate ``record_id``, best first."""
    record = (
        await session.execute(
            select(kind.model).where(kind.model.tenant_id == tenant_id, kind.model.id == record_id)
        )
    ).scalar_one_or_none()
    if record is None:
        raise NotFound(f"No {kind.name} {record_id}")
    scored, known = await _candidates(session, tenant_id, kind, [record], scan=False)
    ranked = sorted(
        ((known[b], m) for (_, b), m in scored.items() if m.score >= min_score),
        key=lambda x: (-x[1].score, x[0].id),
    )
    return ranked[:limit]


def _scan_read(task: tasks.Task) -> ScanRead:
    return ScanRead(
        id=task.id,
        kind=task.params["kind"],
        status=_STATUS.get(task.status, task.status),
        min_score=task.params["min_score"],
        processed=task.done,
        total=task.total or 0,
        pairs_found=task.result.get("pairs_found", 0),
        error=task.error,
        created_at=task.created_at,
        updated_at=task.updated_at,
        finished_at=task.finished_at,
    )


# The scan resource's statuses predate the chassis': a queued scan was already "running".
_STATUS = {"queued": "running", "succeeded": "done"}


async def start_scan(
    *, session: AsyncSession, tenant_id: UUID, kind: Kind, min_score: float, actor: object
) -> ScanRead:
    total = (
        await session.execute(
            select(func.count()).select_from(kind.model).where(kind.model.tenant_id == tenant_id)
        )
    ).scalar_one()
    try:
        task = await tasks.start(
            session,
            SCAN_TASK,
            tenant_id=tenant_id,
            params={"kind": kind.name, "min_score": min_score, "requested_by": str(actor)},
            total=total,
            key=f"{SCAN_TASK.name}.{kind.name}",
            stale_after=STALE_SCAN,
        )
    except Conflict:
        raise Conflict(f"A {kind.name} duplicate scan is already running") from None
    return _scan_read(task)


async def get_scan(
    *, session: AsyncSession, tenant_id: UUID, kind: Kind, scan_id: UUID
) -> ScanRead:
    missing = NotFound(f"No {kind.name} duplicate scan {scan_id}")
    try:
        task = await tasks.get(session, tenant_id=tenant_id, task_id=scan_id, kind=SCAN_TASK.name)
    except NotFound:
        raise missing from None
    if task.params["kind"] != kind.name:
        raise missing
    return _scan_read(task)


async def _scan_step(session: AsyncSession, task: tasks.Task) -> bool:
    """One batch of a scan: its pairs saved, the cursor advanced; True after the last."""
    kind = KINDS[task.params["kind"]]
    model = kind.model
    stmt = select(model).where(model.tenant_id == task.tenant_id)
    if (cursor := task.state.get("cursor")) is not None:
        stmt = stmt.where(model.id > UUID(cursor))
    batch = list((await session.execute(stmt.order_by(model.id).limit(SCAN_BATCH))).scalars())
    if batch:
        found = await _save_pairs(session, task, kind, batch)
        task.state["cursor"] = str(batch[-1].id)
        task.done += len(batch)
        task.result["pairs_found"] = task.result.get("pairs_found", 0) + found
    if len(batch) == SCAN_BATCH:
        return False
    await _drop_unseen_pairs(session, task, kind)
    return True


SCAN_TASK = tasks.TaskKind("contacts.duplicates.scan", _scan_step)
SCAN_JOB = tasks.STEP_JOB
run_scan_batch = tasks.job_handlers([SCAN_TASK])[SCAN_JOB]
"""The job handler stepping scans alone (the app steps every kind of task at once)."""


async def _save_pairs(session: AsyncSession, task: tasks.Task, kind: Kind, batch: list[Any]) -> int:
    min_score = task.params["min_score"]
    scored, _ = await _candidates(session, task.tenant_id, kind, batch, scan=True)
    rows = [
        {
            "tenant_id": task.tenant_id,
            "kind": kind.name,
            "a_id": min(a, b),
            "b_id": max(a, b),
            "score": m.score,
            "reasons": [r.as_dict() for r in m.reasons],
            "scan_id": task.id,
        }
        for (a, b), m in scored.items()
        if m.score >= min_score
    ]
    if rows:
        stmt_ins = insert(DuplicatePair).values(rows)
        await session.execute(
            stmt_ins.on_conflict_do_update(
                index_elements=["tenant_id", "kind", "a_id", "b_id"],
                set_={
                    "score": stmt_ins.excluded.score,
                    "reasons": stmt_ins.excluded.reasons,
                    "scan_id": stmt_ins.excluded.scan_id,
                    "found_at": func.now(),
                },
            )
        )
    return len(rows)


async def _drop_unseen_pairs(session: AsyncSession, task: tasks.Task, kind: Kind) -> None:
    """The pairs an earlier scan found and this one did not."""
    await session.execute(
        delete(DuplicatePair).where(
            DuplicatePair.tenant_id == task.tenant_id,
            DuplicatePair.kind == kind.name,
            DuplicatePair.scan_id.is_distinct_from(task.id),
        )
    )


async def list_pairs(
    *, session: AsyncSession, tenant_id: UUID, kind: Kind, params: PageParams, min_score: float
) -> tuple[list[tuple[DuplicatePair, Any, Any]], str | None]:
    """Pairs found by scans, best first; pairs whose records are gone are left out."""
    model = kind.model
    alive = [
        exists().where(model.tenant_id == tenant_id, model.id == column)
        for column in (DuplicatePair.a_id, DuplicatePair.b_id)
    ]
    stmt = select(DuplicatePair).where(
        DuplicatePair.tenant_id == tenant_id,
        DuplicatePair.kind == kind.name,
        DuplicatePair.score >= min_score,
        and_(*alive),
    )
    stmt, sort = apply_keyset(
        stmt,
        params,
        sortable={"score": DuplicatePair.score},
        id_column=DuplicatePair.id,
        default="-score",
    )
    pairs, cursor = page_of(
        list((await session.execute(stmt)).scalars()), params, sort, lambda p: (p.score, p.id)
    )
    ids = {i for p in pairs for i in (p.a_id, p.b_id)}
    records = (
        {
            r.id: r
            for r in (
                await session.execute(
                    select(model).where(model.tenant_id == tenant_id, model.id.in_(ids))
                )
            ).scalars()
        }
        if ids
        else {}
    )
    return [(p, records[p.a_id], records[p.b_id]) for p in pairs], cursor
