"""All SQL of scoring: rules, adjustments, history, and the score column."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from crm_chassis.repository import TenantRepository
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_service.contacts.models import ProjectedContact as C
from marketing_service.scoring.models import ScoreAdjustment, ScoreHistory, ScoringRule
from marketing_service.segments.compiler import compile_rule
from marketing_service.segments.rules import Rule


class ScoringRuleRepository(TenantRepository[ScoringRule]):
    model = ScoringRule
    label = "scoring rule"
    sortable = {"created_at": ScoringRule.created_at, "name": ScoringRule.name}


async def fit_matches(
    session: AsyncSession,
    tenant_id: UUID,
    rules: Sequence[tuple[UUID, Rule]],
    contact_ids: Sequence[UUID],
    now: Any,
) -> dict[UUID, set[UUID]]:
    """Per contact, the fit rules whose condition holds."""
    if not rules:
        return {}
    columns = [compile_rule(rule, now).label(f"r{i}") for i, (_, rule) in enumerate(rules)]
    stmt = select(C.id, *columns).where(C.tenant_id == tenant_id, C.id.in_(contact_ids))
    return {
        row.id: {rules[i][0] for i in range(len(rules)) if row[i + 1]}
        for row in await session.execute(stmt)
    }


async def adjustments(
    session: AsyncSession, tenant_id: UUID, contact_ids: Sequence[UUID]
) -> dict[UUID, list[Any]]:
    rows = await session.execute(
        select(ScoreAdjustment.contact_id, ScoreAdjustment.points, ScoreAdjustment.reason).where(
            ScoreAdjustment.tenant_id == tenant_id, ScoreAdjustment.contact_id.in_(contact_ids)
        )
    )
    result: dict[UUID, list[Any]] = {}
    for row in rows:
        result.setdefault(row.contact_id, []).append(row)
    return result


async def add_adjustment(
    session: AsyncSession, tenant_id: UUID, contact_id: UUID, points: int, reason: str
) -> None:
    await session.execute(
        insert(ScoreAdjustment).values(
            tenant_id=tenant_id, contact_id=contact_id, points=points, reason=reason
        )
    )


async def scores(
    session: AsyncSession, tenant_id: UUID, contact_ids: Sequence[UUID]
) -> dict[UUID, int]:
    rows = await session.execute(
        select(C.id, C.score).where(C.tenant_id == tenant_id, C.id.in_(contact_ids))
    )
    return {r.id: r.score for r in rows}


async def store(
    session: AsyncSession,
    tenant_id: UUID,
    contact_id: UUID,
    score: int,
    previous: int,
    contributions: list[dict[str, Any]],
) -> None:
    await session.execute(
        update(C).where(C.tenant_id == tenant_id, C.id == contact_id).values(score=score)
    )
    await session.execute(
        insert(ScoreHistory).values(
            tenant_id=tenant_id,
            contact_id=contact_id,
            score=score,
            previous=previous,
            contributions=contributions,
        )
    )


async def history(
    session: AsyncSession, tenant_id: UUID, contact_id: UUID, limit: int
) -> list[Any]:
    stmt = (
        select(ScoreHistory)
        .where(ScoreHistory.tenant_id == tenant_id, ScoreHistory.contact_id == contact_id)
        .order_by(ScoreHistory.at.desc(), ScoreHistory.id.desc())
        .limit(limit)
    )
    return list(await session.scalars(stmt))


async def scored_contacts(
    session: AsyncSession, tenant_id: UUID, after: UUID | None, limit: int
) -> list[UUID]:
    """A page of the tenant's live contacts, by id (the periodic decay refresh)."""
    stmt = select(C.id).where(C.tenant_id == tenant_id, C.deleted.is_(False)).order_by(C.id)
    if after is not None:
        stmt = stmt.where(C.id > after)
    return list(await session.scalars(stmt.limit(limit)))


async def has_rules(session: AsyncSession, tenant_id: UUID) -> bool:
    n = await session.scalar(
        select(func.count()).select_from(ScoringRule).where(ScoringRule.tenant_id == tenant_id)
    )
    return bool(n)
