"""All SQL of segments and their membership."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from crm_chassis.auth import Actor
from crm_chassis.repository import TenantRepository, visibility_clause
from sqlalchemy import any_, delete, func, literal, or_, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_service.contacts.models import ProjectedContact as C
from marketing_service.contacts.projection import live
from marketing_service.segments.compiler import compile_rule
from marketing_service.segments.models import Segment
from marketing_service.segments.models import SegmentMember as M
from marketing_service.segments.rules import Rule

ANALYZE_AFTER = 10_000
"""Membership changes past which the table's statistics are refreshed at once."""


class SegmentRepository(TenantRepository[Segment]):
    model = Segment
    label = "segment"
    sortable = {"created_at": Segment.created_at, "name": Segment.name}

    async def all_rules(self) -> list[tuple[UUID, dict[str, Any]]]:
        rows = await self.session.execute(self.select(Segment.id, Segment.rule))
        return [(r.id, r.rule) for r in rows]

    async def relative_ids(self) -> list[UUID]:
        return list(await self.session.scalars(self.select(Segment.id).where(Segment.relative)))


async def serialize(session: AsyncSession, tenant_id: UUID) -> None:
    """Hold the tenant's membership lock until the transaction ends.

    An incremental refresh and a full evaluation that ran side by side could each miss
    the other's uncommitted change (a contact projected while a new segment is
    evaluated): neither would add the membership. Taken first by both, the lock makes
    the later one read what the earlier committed.
    """
    key = func.hashtextextended(literal(f"segments:{tenant_id}"), 0)
    await session.execute(select(func.pg_advisory_xact_lock(key)))


def matching(tenant_id: UUID, rule: Rule, now: datetime) -> Any:
    """``SELECT id`` of the tenant's live contacts the rule holds for at ``now``."""
    return select(C.id).where(C.tenant_id == tenant_id, live(), compile_rule(rule, now))


async def reevaluate(
    session: AsyncSession, tenant_id: UUID, segment_id: UUID, rule: Rule, now: datetime
) -> tuple[list[UUID], list[UUID]]:
    """Bring the segment's members to the rule's answer at ``now``; the contacts that
    entered and those that left.

    The difference is one read-only statement: the matching contacts full-joined to the
    members, keeping the rows found on one side only. Being read-only, it runs with
    parallel workers as the plain query of the rule does (a statement that writes never
    does); then only the difference is written, set-based (usually nothing: the steady
    state of the scheduled refresh). The tenant's membership lock (:func:`serialize`),
    held by the caller, keeps the difference true until the transaction ends.
    """
    match = matching(tenant_id, rule, now).subquery("matching")
    held = [M.tenant_id == tenant_id, M.segment_id == segment_id]
    current = select(M.contact_id).where(*held).subquery("current")
    diff = (
        select(match.c.id, current.c.contact_id)
        .select_from(match.outerjoin(current, current.c.contact_id == match.c.id, full=True))
        .where(or_(match.c.id.is_(None), current.c.contact_id.is_(None)))
    )
    rows = (await session.execute(diff)).all()
    entered = [r.id for r in rows if r.id is not None]
    left = [r.contact_id for r in rows if r.id is None]
    if entered:
        ids = func.unnest(literal(entered, ARRAY(PG_UUID(as_uuid=True))))
        new = select(literal(tenant_id), literal(segment_id), ids, literal(now))
        await session.execute(
            insert(M)
            .from_select(["tenant_id", "segment_id", "contact_id", "entered_at"], new)
            .on_conflict_do_nothing()
        )
    if left:
        await session.execute(
            delete(M).where(
                *held, M.contact_id == any_(literal(left, ARRAY(PG_UUID(as_uuid=True))))
            )
        )
    if len(rows) >= ANALYZE_AFTER:
        # Later plans (and the next evaluation's) see the new size of the membership.
        await session.execute(text("ANALYZE segment_members"))
    await session.execute(
        update(Segment)
        .where(
            Segment.id.in_(
                # A segment being edited right now is skipped, not waited for: the edit
                # holds its row and waits for this job's row (it schedules the next
                # evaluation), and waiting here would deadlock.
                select(Segment.id).where(Segment.id == segment_id).with_for_update(skip_locked=True)
            )
        )
        .values(evaluated_at=now)
        .execution_options(synchronize_session=False)
    )
    return entered, left


async def matches_of(
    session: AsyncSession,
    tenant_id: UUID,
    rules: Sequence[tuple[UUID, Rule]],
    contact_ids: Sequence[UUID],
    now: datetime,
) -> dict[UUID, set[UUID]]:
    """Per contact (live ones only), the segments among ``rules`` it is in at ``now``:
    one query for every segment and contact."""
    if not rules or not contact_ids:
        return {}
    columns = [compile_rule(rule, now).label(f"s{i}") for i, (_, rule) in enumerate(rules)]
    stmt = select(C.id, *columns).where(C.tenant_id == tenant_id, C.id.in_(contact_ids), live())
    result: dict[UUID, set[UUID]] = {}
    for row in await session.execute(stmt):
        result[row.id] = {rules[i][0] for i in range(len(rules)) if row[i + 1]}
    return result


async def memberships_of(
    session: AsyncSession, tenant_id: UUID, contact_ids: Sequence[UUID]
) -> dict[UUID, set[UUID]]:
    rows = await session.execute(
        select(M.contact_id, M.segment_id).where(
            M.tenant_id == tenant_id, M.contact_id.in_(contact_ids)
        )
    )
    result: dict[UUID, set[UUID]] = {}
    for row in rows:
        result.setdefault(row.contact_id, set()).add(row.segment_id)
    return result


async def add_members(
    session: AsyncSession, tenant_id: UUID, pairs: Sequence[tuple[UUID, UUID]], now: datetime
) -> None:
    """Insert (segment, contact) memberships."""
    if pairs:
        values = [
            {"tenant_id": tenant_id, "segment_id": s, "contact_id": c, "entered_at": now}
            for s, c in pairs
        ]
        await session.execute(insert(M).values(values).on_conflict_do_nothing())


async def remove_members(
    session: AsyncSession, tenant_id: UUID, pairs: Sequence[tuple[UUID, UUID]]
) -> None:
    for segment_id, contact_id in pairs:
        await session.execute(
            delete(M).where(
                M.tenant_id == tenant_id, M.segment_id == segment_id, M.contact_id == contact_id
            )
        )


def visible_members(actor: Actor, segment_id: UUID) -> Any:
    """Members of the segment joined to their contact, as the actor may see them."""
    return (
        select(C.id, C.email, C.first_name, C.last_name, M.entered_at)
        .join(M, (M.tenant_id == C.tenant_id) & (M.contact_id == C.id))
        .where(
            M.tenant_id == actor.tenant_id, M.segment_id == segment_id, visibility_clause(C, actor)
        )
    )


async def count_members(session: AsyncSession, actor: Actor, segment_id: UUID) -> int:
    sub = visible_members(actor, segment_id).subquery()
    return int(await session.scalar(select(func.count()).select_from(sub)) or 0)


async def page_members(
    session: AsyncSession, actor: Actor, segment_id: UUID, after: UUID | None, limit: int
) -> list[Any]:
    stmt = visible_members(actor, segment_id).order_by(C.id).limit(limit)
    if after is not None:
        stmt = stmt.where(C.id > after)
    return list((await session.execute(stmt)).all())


async def preview(
    session: AsyncSession, actor: Actor, rule: Rule, now: datetime, limit: int
) -> tuple[int, list[Any]]:
    """How many contacts a rule would hold now, and the first ``limit`` of them."""
    base = select(C.id, C.email, C.first_name, C.last_name).where(
        C.tenant_id == actor.tenant_id, live(), compile_rule(rule, now), visibility_clause(C, actor)
    )
    total = await session.scalar(select(func.count()).select_from(base.subquery()))
    rows = (await session.execute(base.order_by(C.id).limit(limit))).all()
    return int(total or 0), list(rows)


async def drop_contact(
    session: AsyncSession, tenant_id: UUID, contact_ids: Sequence[UUID]
) -> list[tuple[UUID, UUID]]:
    """Remove the contacts from every segment; the (segment, contact) pairs removed."""
    rows = await session.execute(
        delete(M)
        .where(M.tenant_id == tenant_id, M.contact_id.in_(contact_ids))
        .returning(M.segment_id, M.contact_id)
    )
    return [(r.segment_id, r.contact_id) for r in rows]


async def member_ids(session: AsyncSession, tenant_id: UUID, segment_id: UUID) -> Any:
    return select(M.contact_id).where(M.tenant_id == tenant_id, M.segment_id == segment_id)
