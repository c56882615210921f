"""Due-time work kept in the ``jobs`` table, claimed with ``FOR UPDATE SKIP LOCKED``.

:func:`schedule` writes a job in the caller's transaction (so an SLA timer is created with
the ticket it watches). :class:`JobRunner` claims due jobs, runs each handler inside the
claiming transaction and marks it done there too: a crash mid-job leaves it due again, and
any number of replicas can run jobs without taking the same one twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_chassis import metrics
from crm_chassis.ids import new_id
from crm_chassis.tables import jobs

log = logging.getLogger("crm.jobs")


@dataclass(frozen=True)
class Job:
    id: UUID
    tenant_id: UUID | None
    kind: str
    due_at: datetime
    payload: dict[str, Any]
    attempts: int


JobHandler = Callable[[AsyncSession, Job], Awaitable[None]]


async def schedule(
    session: AsyncSession,
    *,
    kind: str,
    due_at: datetime,
    payload: dict[str, Any] | None = None,
    tenant_id: UUID | None = None,
    dedupe_key: str | None = None,
) -> UUID:
    """Schedule a job in the session's transaction; with ``dedupe_key`` at most one exists."""
    job_id = new_id()
    await session.execute(
        insert(jobs)
        .values(
            id=job_id,
            tenant_id=tenant_id,
            kind=kind,
            due_at=due_at,
            payload=payload or {},
            dedupe_key=dedupe_key,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    return job_id


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
    ) -> None:
        self.sessions = sessions
        self.handlers = handlers
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.max_attempts = max_attempts

    async def run_due(self, now: datetime | None = None) -> int:
        """Run every job due at ``now`` (default: the database clock); how many ran."""
        ran = 0
        while True:
            n = await self._run_batch(now)
            ran += n
            if n < self.batch_size:
                return ran

    async def _run_batch(self, now: datetime | None) -> int:
        async with self.sessions() as session, session.begin():
            rows = (
                await session.execute(
                    select(jobs)
                    .where(
                        jobs.c.done_at.is_(None),
                        jobs.c.due_at <= (now or func.now()),
                        jobs.c.kind.in_(list(self.handlers)),
                        jobs.c.attempts < self.max_attempts,
                    )
                    .order_by(jobs.c.due_at)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for row in rows:
                job = Job(row.id, row.tenant_id, row.kind, row.due_at, row.payload, row.attempts)
                await self._run_one(session, job)
        return len(rows)

    async def _run_one(self, session: AsyncSession, job: Job) -> None:
        try:
            async with session.begin_nested():  # a failing job rolls back only its own work
                await self.handlers[job.kind](session, job)
            await session.execute(
                update(jobs)
                .where(jobs.c.id == job.id)
                .values(done_at=func.now(), attempts=jobs.c.attempts + 1)
            )
            metrics.JOBS_RUN.labels(job.kind, "ok").inc()
        except Exception as exc:
            log.warning("job %s (%s) failed: %s", job.id, job.kind, exc)
            retry_in = timedelta(seconds=min(2**job.attempts, 3600))
            await session.execute(
                update(jobs)
                .where(jobs.c.id == job.id)
                .values(
                    attempts=jobs.c.attempts + 1,
                    last_error=repr(exc)[:2000],
                    due_at=datetime.now(UTC) + retry_in,
                )
            )
            metrics.JOBS_RUN.labels(job.kind, "error").inc()

    async def run(self) -> None:
        """Run due jobs until cancelled."""
        while True:
            ran = 0
            try:
                ran = await self.run_due()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("job runner failed (%s); retrying", exc)
            if not ran:  # work just done may have scheduled more that is due now
                await asyncio.sleep(self.poll_interval)
