"""``/v1/admin/jobs``: the jobs that ran out of attempts (and those still pending), and a
retry of a failed one. Part of the jobs subsystem (:mod:`crm_chassis.jobs`): its two
queries live here, next to the routes they serve.

A tenant's admin sees the jobs of their tenant. Jobs without a tenant are the platform's
own; they are shown only to an actor holding the scope ``platform:admin`` by name (the
``admin`` role, which holds every tenant scope, does not reach them).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Row, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from crm_chassis.auth import Actor, require_scope
from crm_chassis.db import SessionDep
from crm_chassis.errors import Conflict, NotFound
from crm_chassis.jobs import PENDING
from crm_chassis.pagination import Page, PageParamsDep, apply_keyset, page_of
from crm_chassis.tables import jobs

PLATFORM_SCOPE = "platform:admin"

router = APIRouter(prefix="/v1/admin/jobs", tags=["admin"])
AdminDep = Annotated[Actor, require_scope("admin")]


class JobRead(BaseModel):
    id: UUID
    tenant_id: UUID | None
    kind: str
    due_at: datetime
    payload: dict[str, Any]
    attempts: int
    last_error: str | None
    dedupe_key: str | None
    every: timedelta | None
    created_at: datetime
    failed_at: datetime | None
    locked_until: datetime | None


def _visible_to(actor: Actor) -> ColumnElement[bool]:
    own = jobs.c.tenant_id == actor.tenant_id
    return or_(own, jobs.c.tenant_id.is_(None)) if PLATFORM_SCOPE in actor.scopes else own


def _read(row: Row[Any]) -> JobRead:
    return JobRead.model_validate(row._mapping, from_attributes=False)


@router.get("", response_model=Page[JobRead])
async def list_jobs(
    session: SessionDep,
    actor: AdminDep,
    params: PageParamsDep,
    state: Annotated[Literal["failed", "pending"], Query()] = "failed",
) -> Page[JobRead]:
    """Failed jobs (kept with their last error) or pending ones, by due time."""
    where = [jobs.c.failed_at.is_not(None)] if state == "failed" else list(PENDING)
    stmt, sort = apply_keyset(
        select(jobs).where(_visible_to(actor), *where),
        params,
        sortable={"due_at": jobs.c.due_at, "created_at": jobs.c.created_at},
        id_column=jobs.c.id,
        default="due_at",
    )
    rows = (await session.execute(stmt)).all()
    sort_column = sort.lstrip("-")
    items, cursor = page_of(rows, params, sort, lambda r: (getattr(r, sort_column), r.id))
    return Page[JobRead](data=[_read(r) for r in items], next_cursor=cursor)


def _not_failed(job_id: UUID) -> Conflict:
    return Conflict(f"Job {job_id} has not failed; only a failed job is retried")


@router.post("/{job_id}/retry", response_model=JobRead)
async def retry_job(job_id: UUID, session: SessionDep, actor: AdminDep) -> JobRead:
    """Make a failed job due now, with a fresh count of attempts."""
    found = (
        await session.execute(
            select(jobs.c.failed_at).where(jobs.c.id == job_id, _visible_to(actor))
        )
    ).first()
    if found is None:
        raise NotFound(f"No job {job_id}")
    if found.failed_at is None:
        raise _not_failed(job_id)
    try:
        async with session.begin_nested():
            row = (
                await session.execute(
                    update(jobs)
                    .where(jobs.c.id == job_id, jobs.c.failed_at.is_not(None))
                    .values(failed_at=None, attempts=0, locked_until=None, due_at=func.now())
                    .returning(*jobs.c)
                )
            ).first()
    except IntegrityError as exc:  # the unique dedupe key among pending jobs
        raise Conflict(
            f"Another pending job has the dedupe key of job {job_id}",
            errors=[{"field": "dedupe_key", "message": "a pending job has it"}],
        ) from exc
    if row is None:  # retried by someone else meanwhile
        raise _not_failed(job_id)
    return _read(row)
