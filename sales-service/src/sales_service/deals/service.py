"""Deal use cases (S5): stages with history, the rotting job, contacts with roles, lines.

A stage move (create included) records who moved it and when, takes the stage's
probability and forecast category, starts a new idle spell and (re)schedules that spell's
rotting job in the same transaction; the job flags the deal once per spell.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from crm_chassis import jobs
from crm_chassis.auth import Actor
from crm_chassis.crud import (
    Call,
    Crud,
    View,
    changed_columns,
    load_for_update,
    patch_model,
    set_columns,
)
from crm_chassis.errors import NotFound, ValidationFailed
from crm_chassis.ids import new_id
from crm_chassis.orm import utcnow
from crm_chassis.outbox import emit
from sqlalchemy.ext.asyncio import AsyncSession

from sales_service.deals import events, rotting
from sales_service.deals.models import Deal, DealStageChange
from sales_service.deals.repository import DealRepository, StageHistoryRepository
from sales_service.deals.schemas import DealRead, DealWrite
from sales_service.pipelines.models import Stage
from sales_service.pipelines.repository import PipelineRepository, StageRepository
from sales_service.tasks import service as automation

VIEW = View("deal", DealRead, path="/v1/deals")


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[{"field": field, "message": message}])


async def stage_for(call: Call, pipeline_id: UUID, stage_id: UUID | None) -> Stage:
    """The stage a deal goes to: ``stage_id`` of ``pipeline_id``, or its first stage.
    Pipelines and stages are the tenant's settings, readable by every user."""
    if not await PipelineRepository(call.session, call.tenant_id).exists(pipeline_id):
        raise _invalid("pipeline_id", "no such pipeline")
    stages = StageRepository(call.session, call.tenant_id)
    if stage_id is None:
        ordered = await stages.of_pipeline(pipeline_id)
        if not ordered:
            raise _invalid("pipeline_id", "the pipeline has no stages")
        return ordered[0]
    stage = await stages.get(stage_id)
    if stage is None or stage.pipeline_id != pipeline_id:
        raise _invalid("stage_id", "no such stage in this pipeline")
    return stage


def place(deal: Deal, stage: Stage) -> None:
    """``deal`` in ``stage``: its figures, and a new idle spell from now."""
    now = utcnow()
    deal.stage_id = stage.id
    deal.probability = stage.probability
    deal.forecast_category = stage.forecast_category
    deal.won = True if stage.is_won else False if stage.is_lost else None
    deal.closed_at = now if stage.closed else None
    deal.stage_entered_at = deal.idle_since = now
    deal.rotting_since = None


async def record_move(call: Call, deal: Deal, before: Stage | None, stage: Stage) -> None:
    """The history line of a move to ``stage`` (placed already), and its rotting job."""
    call.session.add(
        DealStageChange(
            id=new_id(), tenant_id=call.tenant_id, deal_id=deal.id,
            from_stage_id=before.id if before else None, to_stage_id=stage.id,
            changed_by=call.actor.user_id, changed_at=deal.stage_entered_at,
        )
    )  # fmt: skip
    await schedule_rotting(call.session, deal, stage)


async def schedule_rotting(session: AsyncSession, deal: Deal, stage: Stage) -> None:
    due = None if stage.closed else rotting.rots_at(deal.idle_since, stage.rotting_days)
    key = rotting.dedupe_key(deal.id)
    if due is None:
        await jobs.cancel(session, tenant_id=deal.tenant_id, dedupe_key=key)
        return
    payload = {"deal_id": str(deal.id), "spell": deal.idle_since.isoformat()}
    await jobs.schedule(
        session, kind=rotting.JOB, due_at=due, payload=payload,
        tenant_id=deal.tenant_id, dedupe_key=key, replace=True,
    )  # fmt: skip


class Deals(Crud[Deal]):
    async def create(self, call: Call, data: Any, *, deal_id: UUID | None = None) -> Deal:
        self.view.check_writable(call.actor, data.model_dump(exclude_unset=True))
        stage = await stage_for(call, data.pipeline_id, data.stage_id)
        if data.owner_id is None:  # a deal is its creator's unless given to someone
            data = data.model_copy(update={"owner_id": call.actor.user_id})
        values = data.model_dump(mode="python", exclude={"amount", "stage_id"})
        deal = Deal(id=deal_id or new_id(), tenant_id=call.tenant_id, amount=data.amount, **values)
        place(deal, stage)
        await self.repo(call).add(deal)
        await record_move(call, deal, None, stage)
        await call.session.flush()
        await emit(call.session, events.created(deal, stage))
        await automation.on_deal_created(call, deal)
        return deal

    async def patch(self, call: Call, id_: UUID, body: Any, if_match: str | None) -> Deal:
        repo = self.repo(call)
        deal = await load_for_update(repo, id_, if_match)
        model, _ = patch_model(self.view, call.actor, deal, self.write, body)
        new = model.model_dump(mode="python", exclude={"amount"}) | {"amount": model.amount}
        changed = changed_columns(deal, new)
        before = after = None
        if "stage_id" in changed or "pipeline_id" in changed:
            before = await StageRepository(call.session, call.tenant_id).get(deal.stage_id)
            after = await stage_for(call, model.pipeline_id, model.stage_id)
        if not changed:
            return deal
        set_columns(deal, new, [c for c in changed if c != "stage_id"])
        if after is not None:
            place(deal, after)
        repo.check_holdable(deal)
        await call.session.flush()
        if after is not None:
            await record_move(call, deal, before, after)
        await emit(call.session, events.updated(deal, changed))
        if after is not None:
            await emit(call.session, events.stage_changed(deal, before, after))
        return deal

    async def before_delete(self, call: Call, entity: Any) -> None:
        await jobs.cancel(
            call.session, tenant_id=call.tenant_id, dedupe_key=rotting.dedupe_key(entity.id)
        )

    def deleted_event(self, entity: Any) -> Any:
        return events.deleted(entity)


# Deals publish their own events (``deals.events``: created and stage_changed are the
# activity contract), so the generic lifecycle events are not used.
DEALS = Deals(DealRepository, VIEW, DealWrite, None)


async def history(call: Call, deal_id: UUID) -> list[DealStageChange]:
    await DEALS.get(call, deal_id)
    return await StageHistoryRepository(call.session, call.actor).of_deal(deal_id)


async def rotting_job(session: AsyncSession, job: jobs.Job) -> None:
    """Flag the deal of this idle spell as rotting, once, and say so."""
    assert job.tenant_id is not None
    repo = DealRepository(session, Actor.system(job.tenant_id))
    deal = await repo.get(UUID(job.payload["deal_id"]), for_update=True)
    if deal is None:
        return
    stage = await StageRepository(session, job.tenant_id).get(deal.stage_id)
    if stage is None:
        raise NotFound(f"stage {deal.stage_id}")
    spell = datetime.fromisoformat(job.payload["spell"])
    if not rotting.should_flag(
        spell=spell, idle_since=deal.idle_since, rotting_since=deal.rotting_since,
        closed=stage.closed, rotting_days=stage.rotting_days,
    ):  # fmt: skip
        return
    deal.rotting_since = utcnow()
    await session.flush()
    await emit(session, events.rotting(deal, stage), events.updated(deal, ["rotting_since"]))
