from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from crm_chassis.schemas import EntityRead, Strict
from pydantic import AwareDatetime, BaseModel, Field, field_validator

from sales_service.tasks.automation import TaskRuleBody

TaskType = Literal["call", "meeting", "todo", "email", "other"]


class TaskWrite(Strict):
    type: TaskType = "todo"
    title: str = Field(min_length=1, max_length=255)
    description: str | None = Field(None, max_length=4000)
    due_at: AwareDatetime | None = None
    duration_minutes: int | None = Field(None, ge=1, le=24 * 60)
    remind_at: AwareDatetime | None = None
    deal_id: UUID | None = None
    lead_id: UUID | None = None
    contact_id: UUID | None = None
    account_id: UUID | None = None
    owner_id: UUID | None = None
    team_id: UUID | None = None


class TaskRead(TaskWrite, EntityRead):
    completed_at: datetime | None
    reminded_at: datetime | None
    rule_id: UUID | None


class TaskRuleWrite(Strict):
    name: str = Field(min_length=1, max_length=200)
    trigger: Literal["deal.created"] = "deal.created"
    body: dict[str, Any]
    active: bool = True

    @field_validator("body")
    @classmethod
    def _is_a_rule(cls, value: dict[str, Any]) -> dict[str, Any]:
        return TaskRuleBody.model_validate(value).model_dump(mode="json", by_alias=True)


class TaskRuleRead(TaskRuleWrite, EntityRead):
    pass


class CalendarFeedRead(BaseModel):
    url: str
