"""Lead scoring use cases (M5): rules (CRUD), scores kept current, explained, with history.

A score is recomputed whenever something it reads changes (the contact, its touches, an
adjustment: :func:`refresh` from :mod:`reactions`) and periodically for decay. A change is
stored with its contributions in the history and published as ``score.changed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any
from uuid import UUID

from crm_chassis import jobs
from crm_chassis.crud import Call, Crud, View
from crm_chassis.entity_events import EntityEvents
from crm_chassis.errors import NotFound
from crm_chassis.jobs import Job
from crm_chassis.orm import utcnow
from crm_chassis.outbox import emit
from crm_chassis.repository import visibility_clause
from crm_proto.events import marketing
from crm_proto.events.marketing import ScoreChanged, ScoreContribution
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_service.contacts.models import ProjectedContact
from marketing_service.events import SOURCE
from marketing_service.scoring import repository as repo
from marketing_service.scoring.models import ScoringRule
from marketing_service.scoring.repository import ScoringRuleRepository
from marketing_service.scoring.rules import Contribution, engagement, horizon, total
from marketing_service.scoring.schemas import ScoringRuleRead, ScoringRuleWrite
from marketing_service.segments.membership import parse
from marketing_service.segments.rules import dump
from marketing_service.tracking import touchpoints

REFRESH = "scoring.refresh"
REFRESH_CHUNK = 500
VIEW = View("scoring_rule", ScoringRuleRead, path="/v1/scoring-rules")
EVENTS = EntityEvents.of(SOURCE, "crm.marketing.scoring_rule", marketing)


def _columns(data: ScoringRuleWrite) -> dict[str, Any]:
    columns = data.model_dump(mode="python", exclude={"condition"})
    columns["condition"] = dump(data.condition) if data.condition is not None else None
    return columns


async def schedule_refresh(call: Call) -> None:
    """Re-score every contact now, then every refresh period (decay needs no event)."""
    await jobs.schedule(
        call.session,
        kind=REFRESH,
        due_at=utcnow(),
        tenant_id=call.tenant_id,
        dedupe_key="scoring-refresh",
        every=call.settings.score_refresh_every,
        replace=True,
    )


class ScoringRules(Crud[ScoringRule]):
    async def create(self, call: Call, data: Any) -> Any:
        rule = await super().create(call, data)
        await schedule_refresh(call)
        return rule

    async def patch(self, call: Call, id_: UUID, body: Any, if_match: str | None) -> Any:
        rule = await super().patch(call, id_, body, if_match)
        await schedule_refresh(call)
        return rule

    async def before_delete(self, call: Call, entity: Any) -> None:
        await schedule_refresh(call)


SCORING_RULES = ScoringRules(
    ScoringRuleRepository, VIEW, ScoringRuleWrite, EVENTS, columns=_columns
)


async def compute(
    session: AsyncSession, tenant_id: UUID, contact_ids: Sequence[UUID], now: datetime
) -> dict[UUID, list[Contribution]]:
    """Each contact's contributions at ``now``."""
    rules = list(await ScoringRuleRepository(session, tenant_id).list())
    fit = [r for r in rules if r.kind == "fit" and r.condition]
    engaged = [r for r in rules if r.kind == "engagement"]
    fit_of = await repo.fit_matches(
        session, tenant_id, [(r.id, parse(r.condition or {})) for r in fit], contact_ids, now
    )
    touches: dict[UUID, list[Any]] = {}
    if engaged:
        since = now - max(horizon(r.half_life_days) for r in engaged)
        for t in await touchpoints.times_of(session, tenant_id, contact_ids, since):
            touches.setdefault(t.contact_id, []).append(t)
    adjusted = await repo.adjustments(session, tenant_id, contact_ids)
    result: dict[UUID, list[Contribution]] = {}
    for contact_id in contact_ids:
        parts = [
            Contribution(r.id, r.name, "fit", float(r.points))
            for r in fit
            if r.id in fit_of.get(contact_id, set())
        ]
        for r in engaged:
            times = [
                t.occurred_at
                for t in touches.get(contact_id, [])
                if t.kind == r.event
                and (r.event_name is None or t.name == r.event_name)
                and t.occurred_at >= now - horizon(r.half_life_days)
            ]
            if times:
                points = engagement(r.points, times, now, r.half_life_days)
                parts.append(Contribution(r.id, r.name, "engagement", round(points, 3)))
        parts += [
            Contribution(None, a.reason, "adjustment", float(a.points))
            for a in adjusted.get(contact_id, [])
        ]
        result[contact_id] = parts
    return result


async def refresh(
    session: AsyncSession, tenant_id: UUID, contact_ids: Sequence[UUID], now: datetime
) -> None:
    """Recompute the contacts' scores; store, record and publish those that changed."""
    if not contact_ids:
        return
    computed = await compute(session, tenant_id, contact_ids, now)
    stored = await repo.scores(session, tenant_id, contact_ids)
    for contact_id, parts in computed.items():
        if contact_id not in stored:
            continue  # not (yet) projected
        score, previous = total(parts), stored[contact_id]
        if score == previous:
            continue
        contributions = [asdict(c) for c in parts]
        await repo.store(session, tenant_id, contact_id, score, previous, _json(contributions))
        data = ScoreChanged(
            contact_id=contact_id,
            score=score,
            previous=previous,
            contributions=[ScoreContribution(**c) for c in contributions],
        )
        await emit(
            session,
            SOURCE.event(
                "crm.marketing.score.changed.v1", data, tenant_id=tenant_id, subject=contact_id
            ),
        )


def _json(contributions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**c, "rule_id": str(c["rule_id"]) if c["rule_id"] else None} for c in contributions]


async def require_contact(call: Call, contact_id: UUID) -> ProjectedContact:
    """The projected contact as the caller may see it, or 404."""
    C = ProjectedContact
    contact = await call.session.scalar(
        select(C).where(
            C.tenant_id == call.tenant_id,
            C.id == contact_id,
            C.deleted.is_(False),
            visibility_clause(C, call.actor),
        )
    )
    if contact is None:
        raise NotFound(f"No contact {contact_id}")
    return contact


async def explain(call: Call, contact_id: UUID) -> dict[str, Any]:
    await require_contact(call, contact_id)
    now = utcnow()
    parts = (await compute(call.session, call.tenant_id, [contact_id], now))[contact_id]
    return {
        "contact_id": contact_id,
        "score": total(parts),
        "contributions": [asdict(c) for c in parts],
        "computed_at": now,
    }


async def history(call: Call, contact_id: UUID, limit: int) -> list[Any]:
    await require_contact(call, contact_id)
    return await repo.history(call.session, call.tenant_id, contact_id, limit)


async def adjust(call: Call, contact_id: UUID, points: int, reason: str) -> None:
    await require_contact(call, contact_id)
    await adjust_for(call.session, call.tenant_id, contact_id, points, reason)


async def adjust_for(
    session: AsyncSession, tenant_id: UUID, contact_id: UUID, points: int, reason: str
) -> None:
    await repo.add_adjustment(session, tenant_id, contact_id, points, reason)
    from marketing_service import reactions

    await reactions.contacts_changed(session, tenant_id, [contact_id])


async def run_refresh(session: AsyncSession, job: Job) -> None:
    """Job: re-score the tenant's contacts in chunks (decay shows without an event)."""
    assert job.tenant_id is not None
    after = UUID(job.payload["after"]) if job.payload.get("after") else None
    ids = await repo.scored_contacts(session, job.tenant_id, after, REFRESH_CHUNK)
    from marketing_service import reactions

    await reactions.contacts_changed(session, job.tenant_id, ids)
    if len(ids) == REFRESH_CHUNK:
        await jobs.schedule(
            session,
            kind=REFRESH,
            due_at=utcnow(),
            tenant_id=job.tenant_id,
            payload={"after": str(ids[-1])},
        )
