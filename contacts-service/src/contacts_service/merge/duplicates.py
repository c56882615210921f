"""Finding duplicates (C6): for one record on demand, and over a tenant by a scan job.

A scan is a ``duplicate_scans`` row and a chain of jobs: each job handles one batch of
records in id order (blocking queries for the whole batch, scoring in Python), saves the
pairs it found, advances the scan's cursor and schedules the next batch. A crash loses at
most the batch in flight, which its job then runs again. When the last batch is done, the
pairs an earlier scan found and this one did not are removed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from crm_chassis.errors import Conflict, NotFound
from crm_chassis.jobs import Job, schedule
from crm_chassis.pagination import PageParams, apply_keyset, page_of
from sqlalchemy import and_, delete, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from contacts_service.merge.candidates import (
    account_features,
    account_pairs,
    contact_features,
    contact_pairs,
)
from contacts_service.merge.kinds import ACCOUNT, KINDS, Kind
from contacts_service.merge.models import DuplicatePair, DuplicateScan
from contacts_service.merge.scoring import Match, score_accounts, score_contacts

SCAN_JOB = "contacts.duplicates.scan"
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


async def start_scan(
    *, session: AsyncSession, tenant_id: UUID, kind: Kind, min_score: float, actor: str
) -> DuplicateScan:
    await session.execute(  # a scan whose job died must not block new ones forever
        update(DuplicateScan)
        .where(
            DuplicateScan.tenant_id == tenant_id,
            DuplicateScan.kind == kind.name,
            DuplicateScan.status == "running",
            DuplicateScan.updated_at < datetime.now(UTC) - STALE_SCAN,
        )
        .values(status="failed", error="stalled", finished_at=func.now())
    )
    total = (
        await session.execute(
            select(func.count()).select_from(kind.model).where(kind.model.tenant_id == tenant_id)
        )
    ).scalar_one()
    scan = DuplicateScan(
        tenant_id=tenant_id,
        kind=kind.name,
        status="running",
        min_score=min_score,
        total=total,
        processed=0,
        pairs_found=0,
        requested_by=actor,
    )
    try:
        async with session.begin_nested():
            session.add(scan)
            await session.flush()
    except IntegrityError:
        raise Conflict(f"A {kind.name} duplicate scan is already running") from None
    await schedule(
        session,
        kind=SCAN_JOB,
        due_at=datetime.now(UTC),
        payload={"scan_id": str(scan.id)},
        tenant_id=tenant_id,
    )
    return scan


async def get_scan(
    *, session: AsyncSession, tenant_id: UUID, kind: Kind, scan_id: UUID
) -> DuplicateScan:
    scan = (
        await session.execute(
            select(DuplicateScan).where(
                DuplicateScan.tenant_id == tenant_id,
                DuplicateScan.kind == kind.name,
                DuplicateScan.id == scan_id,
            )
        )
    ).scalar_one_or_none()
    if scan is None:
        raise NotFound(f"No {kind.name} duplicate scan {scan_id}")
    return scan


async def run_scan_batch(session: AsyncSession, job: Job) -> None:
    """The job handler: one batch of a scan, then the next batch's job."""
    scan = (
        await session.execute(
            select(DuplicateScan)
            .where(DuplicateScan.id == UUID(job.payload["scan_id"]))
            .with_for_update()
        )
    ).scalar_one_or_none()
    if scan is None or scan.status != "running" or scan.tenant_id != job.tenant_id:
        return
    kind = KINDS[scan.kind]
    model = kind.model
    stmt = select(model).where(model.tenant_id == scan.tenant_id)
    if scan.cursor is not None:
        stmt = stmt.where(model.id > scan.cursor)
    batch = list((await session.execute(stmt.order_by(model.id).limit(SCAN_BATCH))).scalars())
    if not batch:
        await _finish(session, scan)
        return
    scored, _ = await _candidates(session, scan.tenant_id, kind, batch, scan=True)
    rows = [
        {
            "tenant_id": scan.tenant_id,
            "kind": kind.name,
            "a_id": min(a, b),
            "b_id": max(a, b),
            "score": m.score,
            "reasons": [r.as_dict() for r in m.reasons],
            "scan_id": scan.id,
        }
        for (a, b), m in scored.items()
        if m.score >= scan.min_score
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
    scan.cursor = batch[-1].id
    scan.processed += len(batch)
    scan.pairs_found += len(rows)
    await session.flush()
    await schedule(
        session,
        kind=SCAN_JOB,
        due_at=datetime.now(UTC),
        payload=job.payload,
        tenant_id=scan.tenant_id,
    )


async def _finish(session: AsyncSession, scan: DuplicateScan) -> None:
    await session.execute(
        delete(DuplicatePair).where(
            DuplicatePair.tenant_id == scan.tenant_id,
            DuplicatePair.kind == scan.kind,
            DuplicatePair.scan_id.is_distinct_from(scan.id),
        )
    )
    scan.status = "done"
    scan.finished_at = datetime.now(UTC)
    await session.flush()


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
