from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from crm_chassis.schemas import EntityRead, Strict
from pydantic import BaseModel, Field, model_validator

from marketing_service.segments.rules import EventKind, Rule, check_size


class ScoringRuleWrite(Strict):
    """A scoring rule: ``fit`` needs a ``condition`` (a segment rule); ``engagement`` an
    ``event`` kind (and optionally its ``event_name``) and may decay (``half_life_days``)."""

    name: str = Field(min_length=1, max_length=200)
    kind: Literal["fit", "engagement"]
    condition: Rule | None = None
    event: EventKind | None = None
    event_name: str | None = Field(None, max_length=500)
    points: int = Field(ge=-1000, le=1000)
    half_life_days: float | None = Field(None, gt=0, le=3650)

    @model_validator(mode="after")
    def _complete(self) -> "ScoringRuleWrite":
        if self.kind == "fit":
            if self.condition is None or self.event is not None:
                raise ValueError("a fit rule has a condition and no event")
            check_size(self.condition)
        elif self.event is None or self.condition is not None:
            raise ValueError("an engagement rule has an event and no condition")
        return self


class ScoringRuleRead(EntityRead):
    name: str
    kind: str
    condition: dict[str, Any] | None
    event: str | None
    event_name: str | None
    points: int
    half_life_days: float | None


class ContributionRead(BaseModel):
    rule_id: UUID | None
    name: str
    kind: str
    points: float


class ScoreRead(BaseModel):
    contact_id: UUID
    score: int
    contributions: list[ContributionRead]
    computed_at: datetime


class ScoreHistoryRead(BaseModel):
    score: int
    previous: int
    at: datetime
    contributions: list[ContributionRead]


class AdjustmentWrite(Strict):
    points: int = Field(ge=-1000, le=1000)
    reason: str = Field(min_length=1, max_length=500)
