"""Segment use cases: CRUD from the chassis, evaluation on a job, count, preview, members."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from crm_chassis import jobs
from crm_chassis.crud import Call, Crud, View
from crm_chassis.entity_events import EntityEvents
from crm_chassis.jobs import Job
from crm_chassis.orm import utcnow
from crm_proto.events import marketing
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_service.events import SOURCE
from marketing_service.segments import membership
from marketing_service.segments import repository as repo
from marketing_service.segments.models import Segment
from marketing_service.segments.repository import SegmentRepository
from marketing_service.segments.rules import Rule, dump, is_relative
from marketing_service.segments.schemas import SegmentRead, SegmentWrite

EVALUATE = "segment.evaluate"
VIEW = View("segment", SegmentRead, path="/v1/segments")
EVENTS = EntityEvents.of(SOURCE, "crm.marketing.segment", marketing)


def _columns(data: SegmentWrite) -> dict[str, Any]:
    return {
        "name": data.name,
        "description": data.description,
        "rule": dump(data.rule),
        "relative": is_relative(data.rule),
    }


async def schedule_evaluation(call: Call, segment: Segment) -> None:
    """Evaluate now, and again every refresh period while the rule is relative."""
    every = call.settings.segment_refresh_every if segment.relative else None
    await jobs.schedule(
        call.session,
        kind=EVALUATE,
        due_at=utcnow(),
        payload={"segment_id": str(segment.id)},
        tenant_id=segment.tenant_id,
        dedupe_key=f"segment:{segment.id}",
        every=every,
        replace=True,
    )


class Segments(Crud[Segment]):
    async def create(self, call: Call, data: Any) -> Any:
        segment = await super().create(call, data)
        await schedule_evaluation(call, segment)
        return segment

    async def patch(self, call: Call, id_: UUID, body: Any, if_match: str | None) -> Any:
        with call.session.no_autoflush:
            if isinstance(body, dict) and "rule" in body:
                # A rule is replaced whole: merging two trees' keys makes no rule.
                (await self.repo(call).require(id_)).rule = {}
            segment = await super().patch(call, id_, body, if_match)
        await schedule_evaluation(call, segment)
        return segment

    async def before_delete(self, call: Call, entity: Any) -> None:
        await jobs.cancel(call.session, tenant_id=call.tenant_id, dedupe_key=f"segment:{entity.id}")


SEGMENTS = Segments(SegmentRepository, VIEW, SegmentWrite, EVENTS, columns=_columns)


async def run_evaluation(session: AsyncSession, job: Job) -> None:
    """Job: the full re-evaluation of a segment at the job's run time."""
    assert job.tenant_id is not None
    segment = await SegmentRepository(session, job.tenant_id).get(UUID(job.payload["segment_id"]))
    if segment is not None:
        await membership.evaluate(session, segment, utcnow())


async def count(call: Call, id_: UUID) -> int:
    await SegmentRepository(call.session, call.actor).require(id_)
    return await repo.count_members(call.session, call.actor, id_)


async def members(call: Call, id_: UUID, after: UUID | None, limit: int) -> list[Any]:
    await SegmentRepository(call.session, call.actor).require(id_)
    return await repo.page_members(call.session, call.actor, id_, after, limit)


async def preview(call: Call, rule: Rule, limit: int, at: datetime | None) -> tuple[int, list[Any]]:
    return await repo.preview(call.session, call.actor, rule, at or utcnow(), limit)
