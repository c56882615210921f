"""Stage use cases (S4): stages belong to a pipeline; a deal's probability and forecast
category follow its stage's, also when the stage changes."""

from __future__ import annotations

from typing import Any

from crm_chassis.crud import Call, Crud, View
from crm_chassis.errors import Conflict, ValidationFailed

from sales_service.common.events import lifecycle_events
from sales_service.deals.repository import DealRepository
from sales_service.pipelines.models import Stage
from sales_service.pipelines.repository import PipelineRepository, StageRepository
from sales_service.pipelines.stage_schemas import StageRead, StageWrite

FOLLOWED = ("probability", "forecast_category", "is_won", "is_lost")


class Stages(Crud[Stage]):
    async def check_create(self, call: Call, data: Any) -> None:
        if not await PipelineRepository(call.session, call.actor).exists(data.pipeline_id):
            raise ValidationFailed(
                "No such pipeline",
                errors=[{"field": "pipeline_id", "message": "no such pipeline"}],
            )

    async def check_patch(self, call: Call, entity: Any, model: Any, changed: list[str]) -> None:
        if "pipeline_id" in changed:
            raise Conflict("A stage stays in its pipeline")
        if any(name in changed for name in FOLLOWED):
            await DealRepository(call.session, call.actor).follow_stage(
                entity.id,
                probability=model.probability,
                forecast_category=model.forecast_category,
                won=True if model.is_won else False if model.is_lost else None,
            )

    async def before_delete(self, call: Call, entity: Any) -> None:
        if await DealRepository(call.session, call.actor).any_in_stage(entity.id):
            raise Conflict("Deals are in this stage; move them first")


STAGES = Stages(
    StageRepository, View("stage", StageRead, path="/v1/stages"), StageWrite,
    lifecycle_events("stage"),
)  # fmt: skip
