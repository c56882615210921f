"""Long tasks: resumable work done in chunks by jobs, with progress readable over HTTP.

An import of a million rows, a tenant's duplicate scan, a campaign send, a model training
or a warehouse rebuild is one ``long_tasks`` row (status, ``done``/``total``, ``params``
it was asked with, ``state`` where the next step resumes, ``result`` so far, error, times)
stepped by jobs. A service declares a :class:`TaskKind` with a ``step(session, task) ->
finished?`` function that does one bounded chunk, mutating ``task.done``, ``task.state``
and ``task.result``; :func:`start` queues a task, :func:`get` reads it and
:class:`TaskProgress` renders it for ``GET .../{id}``.

Each step runs in its own job, so the chunk's work and the task's progress commit in one
transaction: a crash resumes from the last committed chunk, never re-doing or skipping
one. A step that raises :class:`TaskFailed` fails the task (its chunk rolled back); any
other exception rolls the chunk back and retries it with a backoff, failing the task after
``max_failures`` in a row. ``on_finish`` runs in the transaction that ends the task.

Why one chassis table and not a mixin for each service's own table: the next services'
long work (sends, training, rebuilds) then needs no table, model or migration of its own,
only a kind and a step; what is domain-specific lives in ``params``/``result`` or, when it
is queried as data (an import's file and options), in a row of the service that shares
the task's id. The table's SQL is in :class:`TaskRepository` below.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from crm_chassis.errors import Conflict, NotFound
from crm_chassis.ids import new_id
from crm_chassis.jobs import Job, JobHandler, schedule
from crm_chassis.tables import long_tasks

log = logging.getLogger("crm.tasks")

STEP_JOB = "chassis.task.step"
ACTIVE = ("queued", "running")  # as tables.TASKS_ACTIVE says


@dataclass
class Task:
    """One long task as its step sees it; the step changes ``done``, ``total``, ``state``
    and ``result``, and the runner saves them with the chunk."""

    id: UUID
    tenant_id: UUID
    kind: str
    status: str
    key: str | None
    total: int | None
    done: int
    params: dict[str, Any]
    state: dict[str, Any]
    result: dict[str, Any]
    error: str | None
    failures: int
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def progress(self) -> float | None:
        """``done / total`` from 0 to 1, or None while the total is unknown."""
        if self.total is None:
            return None
        return 1.0 if self.total == 0 else min(self.done / self.total, 1.0)

    @property
    def finished(self) -> bool:
        return self.status not in ACTIVE


class TaskFailed(Exception):
    """Raised by a step: the task fails with this message; the chunk's work rolls back."""


Step = Callable[[AsyncSession, Task], Awaitable[bool]]
OnFinish = Callable[[AsyncSession, Task], Awaitable[None]]


@dataclass(frozen=True)
class TaskKind:
    """A kind of long task: ``step`` does one chunk and says whether the task is done."""

    name: str
    step: Step
    on_finish: OnFinish | None = None
    max_failures: int = 5


_SAVED = ("status", "total", "done", "state", "result", "error", "failures", "started_at")


class TaskRepository:
    """All SQL of ``long_tasks``, scoped by tenant."""

    def __init__(self, session: AsyncSession, tenant_id: UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id

    async def add(self, values: dict[str, Any]) -> Task:
        stmt = insert(long_tasks).values(tenant_id=self.tenant_id, **values).returning(long_tasks)
        return _task((await self.session.execute(stmt)).one())

    async def get(self, task_id: UUID, *, for_update: bool = False) -> Task | None:
        stmt = select(long_tasks).where(
            long_tasks.c.tenant_id == self.tenant_id, long_tasks.c.id == task_id
        )
        if for_update:
            stmt = stmt.with_for_update()
        row = (await self.session.execute(stmt)).one_or_none()
        return None if row is None else _task(row)

    async def get_many(self, task_ids: Iterable[UUID]) -> dict[UUID, Task]:
        wanted = list(task_ids)
        if not wanted:
            return {}
        stmt = select(long_tasks).where(
            long_tasks.c.tenant_id == self.tenant_id, long_tasks.c.id.in_(wanted)
        )
        return {row.id: _task(row) for row in await self.session.execute(stmt)}

    async def save(self, task: Task, *, finish: bool = False) -> Task:
        values = {name: getattr(task, name) for name in _SAVED}
        stmt = (
            update(long_tasks)
            .where(long_tasks.c.tenant_id == self.tenant_id, long_tasks.c.id == task.id)
            .values(**values, updated_at=_now(), **({"finished_at": _now()} if finish else {}))
            .returning(long_tasks)
        )
        return _task((await self.session.execute(stmt)).one())

    async def fail_stalled(self, key: str, older_than: datetime) -> None:
        await self.session.execute(
            update(long_tasks)
            .where(
                long_tasks.c.tenant_id == self.tenant_id,
                long_tasks.c.key == key,
                long_tasks.c.status.in_(ACTIVE),
                long_tasks.c.updated_at < older_than,
            )
            .values(status="failed", error="stalled", finished_at=_now(), updated_at=_now())
        )


def _task(row: Any) -> Task:
    return Task(**{f.name: getattr(row, f.name) for f in fields(Task)})


def _now() -> datetime:
    return datetime.now(UTC)


async def start(
    session: AsyncSession,
    kind: TaskKind | str,
    *,
    tenant_id: UUID,
    params: Mapping[str, Any] | None = None,
    total: int | None = None,
    state: Mapping[str, Any] | None = None,
    key: str | None = None,
    stale_after: timedelta | None = None,
    task_id: UUID | None = None,
) -> Task:
    """Queue a task in the session's transaction; its first step runs once that commits.

    ``state`` is where the first step starts (default: nothing, the beginning).

    With ``key``, at most one task per tenant and key is queued or running: another start
    is a :class:`Conflict`, unless the running one has not advanced for ``stale_after``
    (its jobs gave up), which is then failed as stalled.
    """
    name = kind if isinstance(kind, str) else kind.name
    repo = TaskRepository(session, tenant_id)
    if key is not None and stale_after is not None:
        await repo.fail_stalled(key, _now() - stale_after)
    values = {
        "id": task_id or new_id(),
        "kind": name,
        "key": key,
        "total": total,
        "params": dict(params or {}),
        "state": dict(state or {}),
    }
    try:
        async with session.begin_nested():
            task = await repo.add(values)
    except IntegrityError:
        raise Conflict(f"A {name} task is already running") from None
    await _schedule_step(session, task, due_at=_now())
    return task


async def get(
    session: AsyncSession, *, tenant_id: UUID, task_id: UUID, kind: str | None = None
) -> Task:
    """The tenant's task ``task_id`` (of ``kind``, when given), or :class:`NotFound`."""
    task = await TaskRepository(session, tenant_id).get(task_id)
    if task is None or (kind is not None and task.kind != kind):
        raise NotFound(f"No task {task_id}")
    return task


async def get_many(
    session: AsyncSession, *, tenant_id: UUID, task_ids: Iterable[UUID]
) -> dict[UUID, Task]:
    """The tenant's tasks among ``task_ids``, by id (one query, for a page of resources)."""
    return await TaskRepository(session, tenant_id).get_many(task_ids)


async def cancel(session: AsyncSession, *, tenant_id: UUID, task_id: UUID) -> Task:
    """Cancel a queued or running task; its next step does not run. A finished task is
    left as it is (and returned)."""
    repo = TaskRepository(session, tenant_id)
    task = await repo.get(task_id, for_update=True)  # waits for a step in progress
    if task is None:
        raise NotFound(f"No task {task_id}")
    if task.finished:
        return task
    task.status = "cancelled"
    return await repo.save(task, finish=True)


def job_handlers(kinds: Iterable[TaskKind]) -> dict[str, JobHandler]:
    """The job that steps every task of ``kinds``, for ``create_service_app(job_handlers=)``."""
    by_name = {k.name: k for k in kinds}

    async def step_job(session: AsyncSession, job: Job) -> None:
        await run_step(session, job, by_name)

    return {STEP_JOB: step_job}


async def _schedule_step(session: AsyncSession, task: Task, *, due_at: datetime) -> None:
    await schedule(
        session,
        kind=STEP_JOB,
        due_at=due_at,
        payload={"task_id": str(task.id)},
        tenant_id=task.tenant_id,
    )


async def run_step(session: AsyncSession, job: Job, kinds: Mapping[str, TaskKind]) -> None:
    """One step of the job's task, committed with the job: the chunk and its progress."""
    if job.tenant_id is None:
        return
    repo = TaskRepository(session, job.tenant_id)
    task = await repo.get(UUID(job.payload["task_id"]), for_update=True)
    if task is None or task.finished:
        return
    kind = kinds.get(task.kind)
    if kind is None:
        raise LookupError(f"no step registered for task kind {task.kind!r}")
    if task.status == "queued":
        task.status, task.started_at = "running", _now()
    before = replace(task, state=copy.deepcopy(task.state), result=copy.deepcopy(task.result))
    try:
        async with session.begin_nested():
            finished = await kind.step(session, task)
            await session.flush()
    except TaskFailed as exc:
        task = replace(before, status="failed", error=str(exc))
        await _finish(session, repo, kind, task)
        return
    except Exception as exc:
        log.warning("task %s (%s) step failed: %r", task.id, task.kind, exc)
        task = replace(before, failures=before.failures + 1, error=repr(exc)[:2000])
        if task.failures >= kind.max_failures:
            await _finish(session, repo, kind, replace(task, status="failed"))
        else:
            await repo.save(task)
            retry_in = timedelta(seconds=min(2**task.failures, 300))
            await _schedule_step(session, task, due_at=_now() + retry_in)
        return
    task.failures, task.error = 0, None
    if finished:
        await _finish(session, repo, kind, replace(task, status="succeeded"))
    else:
        await repo.save(task)
        await _schedule_step(session, task, due_at=_now())


async def _finish(session: AsyncSession, repo: TaskRepository, kind: TaskKind, task: Task) -> None:
    task = await repo.save(task, finish=True)
    if kind.on_finish is not None:
        await kind.on_finish(session, task)


class TaskProgress(BaseModel):
    """A task as ``GET .../{id}`` answers it: status, ``done``/``total`` and the rest."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    kind: str
    status: str
    total: int | None
    done: int
    progress: float | None
    result: dict[str, Any]
    error: str | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, task: Task) -> TaskProgress:
        return cls.model_validate(task)
