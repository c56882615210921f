from __future__ import annotations

from datetime import datetime
from uuid import UUID

from crm_chassis.schemas import Strict
from pydantic import BaseModel, ConfigDict, Field


class SurveyAnswer(Strict):
    rating: int = Field(ge=1, le=5, description="CSAT: 1 (very unsatisfied) to 5")
    nps: int | None = Field(None, ge=0, le=10, description="how likely to recommend us")
    comment: str | None = Field(None, max_length=5000)


class SurveyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    ticket_id: UUID
    requested_at: datetime
    answered_at: datetime | None
    rating: int | None
    nps: int | None
    comment: str | None


class SurveyPage(BaseModel):
    """What the requester sees behind the link."""

    survey: SurveyRead
    ticket_number: int
    ticket_subject: str
