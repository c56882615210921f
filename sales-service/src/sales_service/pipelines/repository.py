from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.repository import TenantRepository
from sqlalchemy import Select

from sales_service.pipelines.models import Pipeline, Stage


class PipelineRepository(TenantRepository[Pipeline]):
    model = Pipeline
    label = "pipeline"
    sortable = {"created_at": Pipeline.created_at, "name": Pipeline.name}


class StageRepository(TenantRepository[Stage]):
    model = Stage
    label = "stage"
    parents = ((Stage.pipeline_id, Pipeline),)
    sortable = {"created_at": Stage.created_at, "position": Stage.position}

    def filtered(self, filters: Any) -> Select[Any]:
        stmt = self.select()
        if filters.pipeline_id is not None:
            stmt = stmt.where(Stage.pipeline_id == filters.pipeline_id)
        return stmt

    async def of_pipeline(self, pipeline_id: UUID) -> list[Stage]:
        stmt = (
            self.select().where(Stage.pipeline_id == pipeline_id).order_by(Stage.position, Stage.id)
        )
        return await self.list(stmt)
