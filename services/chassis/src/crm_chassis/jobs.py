"""Due-time work kept in the ``jobs`` table: SLA timers, journey waits, reminders, purges.

This module is the jobs subsystem and holds its SQL (no repository sits in between).

:func:`schedule`, :func:`cancel` and :func:`reschedule` work in the caller's transaction,
so an SLA timer is created, paused or moved together with the ticket it watches. A dedupe
key is unique per tenant among *pending* jobs: scheduling a key that is pending returns
that job (or moves it, with ``replace=True``); once it ran, the key schedules anew.

:class:`JobRunner` claims due jobs in a short transaction (``FOR UPDATE SKIP LOCKED``)
that gives each a lease (``locked_until``) and counts the attempt, then runs every job in
a transaction of its own that first marks it done: the handler's work and the done mark
commit together or not at all. A crash leaves the lease to expire, and the job is claimed
again; a run that outlasts its lease is cancelled. The run's done mark locks the job, so
:func:`cancel` or :func:`schedule` of it waits for a run in flight (keep handlers short:
long work reschedules itself in chunks, as imports do). An attempt that fails is retried
with backoff until ``max_attempts``, then kept with ``failed_at`` and its last error (see
:mod:`crm_chassis.admin_jobs`). A recurring job (``every=``) schedules its next run in the
transaction of a successful run. :meth:`JobRunner.maintain` purges old done rows.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Row,
    and_,
    delete,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_chassis import metrics
from crm_chassis.ids import new_id
from crm_chassis.tables import jobs

log = logging.getLogger("crm.jobs")

PENDING = (jobs.c.done_at.is_(None), jobs.c.failed_at.is_(None))
""":data:`crm_chassis.tables.JOBS_PENDING` as clauses, for ``where(*PENDING)``."""


@dataclass(frozen=True)
class Job:
    """A job as its handler sees it; ``attempts`` counts earlier attempts."""

    id: UUID
    tenant_id: UUID | None
    kind: str
    due_at: datetime
    payload: dict[str, Any]
    attempts: int
    dedupe_key: str | None = None
    every: timedelta | None = None

    @classmethod
    def of(cls, row: Row[Any]) -> Job:
        return cls(
            row.id, row.tenant_id, row.kind, row.due_at, row.payload, row.attempts,
            row.dedupe_key, row.every,
        )  # fmt: skip


JobHandler = Callable[[AsyncSession, Job], Awaitable[None]]


def _tenant_is(tenant_id: UUID | None) -> ColumnElement[bool]:
    # Spelled out rather than IS NOT DISTINCT FROM, which no index serves.
    return jobs.c.tenant_id.is_(None) if tenant_id is None else jobs.c.tenant_id == tenant_id


def _one_pending(
    tenant_id: UUID | None, job_id: UUID | None, dedupe_key: str | None
) -> list[ColumnElement[bool]]:
    if (job_id is None) == (dedupe_key is None):
        raise ValueError("name the job by exactly one of job_id and dedupe_key")
    named = jobs.c.id == job_id if job_id is not None else jobs.c.dedupe_key == dedupe_key
    return [named, _tenant_is(tenant_id), *PENDING]


async def schedule(
    session: AsyncSession,
    *,
    kind: str,
    due_at: datetime,
    payload: dict[str, Any] | None = None,
    tenant_id: UUID | None = None,
    dedupe_key: str | None = None,
    every: timedelta | None = None,
    replace: bool = False,
) -> UUID:
    """Schedule a job in the session's transaction and return its id.

    With ``dedupe_key``, a pending job of the same tenant and key is kept and its id
    returned; ``replace=True`` gives that job this kind, time, payload and period instead
    (and a fresh count of attempts). ``every`` makes the job recurring: each successful
    run schedules the next at ``due_at + every`` (skipping periods missed meanwhile) with
    the same key; a recurring job is stopped with :func:`cancel` by its ``dedupe_key``
    (each run is a new row, so a new id).
    """
    if every is not None and every <= timedelta(0):
        raise ValueError("every must be a positive period")
    values: dict[str, Any] = {
        "kind": kind, "due_at": due_at, "payload": payload or {}, "every": every,
    }  # fmt: skip
    stmt = insert(jobs).values(id=new_id(), tenant_id=tenant_id, dedupe_key=dedupe_key, **values)
    if dedupe_key is not None:
        # A no-op update on conflict, rather than DO NOTHING, so RETURNING yields the id of
        # the pending job in the same statement; it also waits for a run of that job in
        # flight, and inserts anew once that run has marked it done.
        keep = {"dedupe_key": stmt.excluded.dedupe_key}
        moved = {**values, "attempts": 0, "locked_until": None, "last_error": None}
        stmt = stmt.on_conflict_do_update(
            index_elements=[jobs.c.tenant_id, jobs.c.dedupe_key],
            index_where=and_(*PENDING, jobs.c.dedupe_key.is_not(None)),
            set_=moved if replace else keep,
        )
    return (await session.execute(stmt.returning(jobs.c.id))).scalar_one()


async def cancel(
    session: AsyncSession,
    *,
    tenant_id: UUID | None,
    job_id: UUID | None = None,
    dedupe_key: str | None = None,
) -> bool:
    """Delete the pending job named by ``job_id`` or ``dedupe_key``, in the session's
    transaction; whether there was one (False once it ran, or while it is running, which
    this waits for)."""
    stmt = delete(jobs).where(*_one_pending(tenant_id, job_id, dedupe_key))
    return (await session.execute(stmt.returning(jobs.c.id))).first() is not None


async def reschedule(
    session: AsyncSession,
    *,
    tenant_id: UUID | None,
    due_at: datetime,
    job_id: UUID | None = None,
    dedupe_key: str | None = None,
) -> bool:
    """Move the pending job named by ``job_id`` or ``dedupe_key`` to ``due_at``, in the
    session's transaction; whether there was one. A claim of it not yet running is void."""
    stmt = (
        update(jobs)
        .where(*_one_pending(tenant_id, job_id, dedupe_key))
        .values(due_at=due_at, locked_until=None)
    )
    return (await session.execute(stmt.returning(jobs.c.id))).first() is not None


def next_due(due_at: datetime, every: timedelta, clock: datetime) -> datetime:
    """The first ``due_at + k * every`` (k >= 1) after ``clock``: missed periods are skipped."""
    return due_at + every * (max(clock - due_at, timedelta(0)) // every + 1)


@dataclass(frozen=True)
class _Claim:
    job: Job
    clock: datetime  # the runner's "now" when it claimed the job


class JobRunner:
    """Runs due jobs with the handler registered for their kind."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        handlers: Mapping[str, JobHandler],
        *,
        batch_size: int = 20,
        poll_interval: float = 0.5,
        max_attempts: int = 10,
        lease: timedelta = timedelta(minutes=5),
        retention: timedelta = timedelta(days=1),
        maintenance_interval: float = 60.0,
        purge_batch: int = 1000,
    ) -> None:
        self.sessions = sessions
        self.handlers = handlers
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.max_attempts = max_attempts
        self.lease = lease
        self.retention = retention
        self.maintenance_interval = maintenance_interval
        self.purge_batch = purge_batch
        self._failed_kinds: set[str] = set()

    async def run_due(self, now: datetime | None = None) -> int:
        """Run every job due at ``now`` (default: the database clock); how many ran."""
        ran = 0
        while True:
            claims = await self._claim(now)
            for claim in claims:
                await self._run_one(claim)
            ran += len(claims)
            if len(claims) < self.batch_size:
                return ran

    async def _claim(self, now: datetime | None) -> list[_Claim]:
        clock = _clock(now)
        due = (
            select(jobs.c.id)
            .where(
                *PENDING,
                jobs.c.due_at <= clock,
                jobs.c.kind.in_(list(self.handlers)),
                jobs.c.attempts < self.max_attempts,
                or_(jobs.c.locked_until.is_(None), jobs.c.locked_until <= clock),
            )
            .order_by(jobs.c.due_at)
            .limit(self.batch_size)
            .with_for_update(skip_locked=True)
            .cte("due")
        )
        stmt = (
            update(jobs)
            .where(jobs.c.id == due.c.id)
            .values(locked_until=clock + self.lease, attempts=jobs.c.attempts + 1)
            .returning(*jobs.c, clock.label("clock"))
        )
        async with self.sessions() as session, session.begin():
            rows = (await session.execute(stmt)).all()
        # The handler sees the attempts made before this one.
        return [
            _Claim(dataclasses.replace(Job.of(r), attempts=r.attempts - 1), r.clock)
            for r in sorted(rows, key=lambda r: r.due_at)
        ]

    async def _run_one(self, claim: _Claim) -> None:
        job = claim.job
        try:
            async with self.sessions() as session, session.begin():
                if not await _start(session, job):
                    return  # cancelled, moved or claimed again since this runner claimed it
                # A run past its lease is given up (and retried), so a hung handler cannot
                # hold its job, and the row lock it took, for ever.
                async with asyncio.timeout(self.lease.total_seconds()):
                    await self.handlers[job.kind](session, job)
                if job.every is not None:
                    await schedule(
                        session,
                        kind=job.kind,
                        due_at=next_due(job.due_at, job.every, claim.clock),
                        payload=job.payload,
                        tenant_id=job.tenant_id,
                        dedupe_key=job.dedupe_key,
                        every=job.every,
                    )
            metrics.JOBS_RUN.labels(job.kind, "ok").inc()
        except Exception as exc:
            log.warning("job %s (%s) failed: %s", job.id, job.kind, exc)
            async with self.sessions() as session, session.begin():
                await self._record_failure(session, claim, exc)
            metrics.JOBS_RUN.labels(job.kind, "error").inc()

    async def _record_failure(self, session: AsyncSession, claim: _Claim, exc: Exception) -> None:
        job = claim.job
        attempts = job.attempts + 1
        exhausted = attempts >= self.max_attempts
        retry_in = timedelta(seconds=min(2**job.attempts, 3600))
        await session.execute(
            update(jobs)
            .where(jobs.c.id == job.id, jobs.c.attempts == attempts, *PENDING)
            .values(
                last_error=repr(exc)[:2000],
                # The backoff is a lease of nobody's: due_at keeps its meaning (and a
                # recurring job its period).
                locked_until=None if exhausted else claim.clock + retry_in,
                failed_at=func.now() if exhausted else None,
            )
        )

    async def maintain(self, now: datetime | None = None) -> int:
        """Fail abandoned jobs, purge done rows older than the retention, refresh the failed
        gauge; how many rows were purged. :meth:`run` calls this now and then."""
        clock = _clock(now)
        async with self.sessions() as session, session.begin():
            # A job whose runs all died (the process killed mid-job each time) has no
            # error of its own; once its lease ran out for the last time, it failed.
            await session.execute(
                update(jobs)
                .where(
                    *PENDING,
                    jobs.c.kind.in_(list(self.handlers)),
                    jobs.c.attempts >= self.max_attempts,
                    jobs.c.locked_until <= clock,
                )
                .values(
                    failed_at=func.now(),
                    locked_until=None,
                    last_error=func.coalesce(jobs.c.last_error, "its runs never finished"),
                )
            )
        purged = await self._purge_done(clock)
        await self.refresh_failed_gauge()
        return purged

    async def _purge_done(self, clock: ColumnElement[datetime]) -> int:
        # Small batches, each its own transaction: a backlog of done rows never holds a
        # long lock or a huge transaction.
        purged = 0
        while True:
            old = (
                select(jobs.c.id)
                .where(jobs.c.done_at < clock - self.retention)
                .limit(self.purge_batch)
                .with_for_update(skip_locked=True)
            )
            async with self.sessions() as session, session.begin():
                result = await session.execute(delete(jobs).where(jobs.c.id.in_(old)))
            n = int(result.rowcount or 0)  # type: ignore[attr-defined]
            purged += n
            if n < self.purge_batch:
                return purged

    async def refresh_failed_gauge(self) -> None:
        """Set ``crm_jobs_failed`` to the count of failed jobs of each kind."""
        failed = (
            select(jobs.c.kind, func.count().label("n"))
            .where(jobs.c.failed_at.is_not(None))
            .group_by(jobs.c.kind)
        )
        async with self.sessions() as session:
            counts = {row.kind: row.n for row in await session.execute(failed)}
        for kind in self._failed_kinds - counts.keys():
            metrics.JOBS_FAILED.labels(kind).set(0)
        for kind, count in counts.items():
            metrics.JOBS_FAILED.labels(kind).set(count)
        self._failed_kinds = set(counts)

    async def run(self) -> None:
        """Run due jobs until cancelled, and :meth:`maintain` every ``maintenance_interval``."""
        loop = asyncio.get_running_loop()
        next_maintenance = loop.time()
        while True:
            ran = 0
            try:
                if loop.time() >= next_maintenance:
                    next_maintenance = loop.time() + self.maintenance_interval
                    await self.maintain()
                ran = await self.run_due()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("job runner failed (%s); retrying", exc)
            if not ran:  # work just done may have scheduled more that is due now
                await asyncio.sleep(self.poll_interval)


def _clock(now: datetime | None) -> ColumnElement[datetime]:
    return func.now() if now is None else literal(now, DateTime(timezone=True))


async def _start(session: AsyncSession, job: Job) -> bool:
    """Mark the claimed ``job`` done first thing in its run's transaction (undone if the run
    fails), locking it for the run; False if the claim is no longer this runner's."""
    stmt = (
        update(jobs)
        .where(
            jobs.c.id == job.id,
            jobs.c.attempts == job.attempts + 1,  # nobody claimed it since
            jobs.c.locked_until.is_not(None),  # nor moved it
            *PENDING,  # nor cancelled it
        )
        .values(done_at=func.now(), locked_until=None)
        .returning(jobs.c.id)
    )
    return (await session.execute(stmt)).first() is not None
