from __future__ import annotations

from typing import Literal
from uuid import UUID

from crm_chassis.schemas import EntityRead, Strict
from pydantic import BaseModel, Field, model_validator

ForecastCategory = Literal["pipeline", "best_case", "commit", "closed", "omitted"]


class StageWrite(Strict):
    """A stage of a pipeline; ``position`` orders them, lowest first."""

    pipeline_id: UUID
    name: str = Field(min_length=1, max_length=120)
    position: int = Field(ge=0, le=1000)
    probability: int = Field(ge=0, le=100)
    forecast_category: ForecastCategory = "pipeline"
    is_won: bool = False
    is_lost: bool = False
    rotting_days: int | None = Field(None, ge=1, le=3650)

    @model_validator(mode="after")
    def _one_outcome(self) -> StageWrite:
        if self.is_won and self.is_lost:
            raise ValueError("a stage is won or lost, not both")
        return self


class StageRead(StageWrite, EntityRead):
    pass


class StageFilters(BaseModel):
    pipeline_id: UUID | None = None
