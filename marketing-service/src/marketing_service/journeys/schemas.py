"""A journey's trigger and step graph, as the API takes them.

``definition`` is ``{"start": "<step>", "steps": {"<step>": {...}}}``; each step names
its ``next`` (a condition its ``then`` and ``else``); a missing next ends the journey.
"""

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from crm_chassis.schemas import EntityRead, Strict
from pydantic import Field, model_validator

from marketing_service.campaigns.schemas import Content
from marketing_service.segments.rules import EventKind, Rule, check_size

StepId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,100}$")]


class SegmentTrigger(Strict):
    type: Literal["segment_entered"]
    segment_id: UUID


class EventTrigger(Strict):
    type: Literal["event"]
    event: EventKind
    name: str | None = None


class DateTrigger(Strict):
    """Contacts whose date (``created_at`` or a custom date field) plus ``offset_days`` is
    today, checked daily: "3 days before the renewal date" is ``offset_days: 3``."""

    type: Literal["date"]
    field: str = Field(pattern=r"^(created_at|custom\.[A-Za-z0-9_]{1,64})$")
    offset_days: int = Field(0, ge=-3650, le=3650)


class Wait(Strict):
    type: Literal["wait"]
    seconds: int | None = Field(None, ge=1, le=366 * 86400)
    until: datetime | None = None
    next: StepId | None = None

    @model_validator(mode="after")
    def _one(self) -> "Wait":
        if (self.seconds is None) == (self.until is None):
            raise ValueError("a wait has seconds or until")
        return self


class Condition(Strict):
    type: Literal["condition"]
    rule: Rule
    then: StepId | None = None
    else_: StepId | None = Field(None, alias="else")


class SendEmail(Content):
    type: Literal["send_email"]
    purpose: str = "marketing"
    next: StepId | None = None


class AddTag(Strict):
    type: Literal["add_tag"]
    tag: str = Field(min_length=1, max_length=100)
    next: StepId | None = None


class ChangeScore(Strict):
    type: Literal["change_score"]
    points: int = Field(ge=-1000, le=1000)
    reason: str = Field("journey", max_length=200)
    next: StepId | None = None


class CreateTask(Strict):
    type: Literal["create_task"]
    title: str = Field(min_length=1, max_length=300)
    task_type: Literal["call", "meeting", "todo", "email", "other"] = "todo"
    due_in_seconds: int | None = Field(None, ge=0)
    next: StepId | None = None


class Webhook(Strict):
    type: Literal["webhook"]
    url: str = Field(pattern=r"^https?://")
    next: StepId | None = None


Step = Annotated[
    Wait | Condition | SendEmail | AddTag | ChangeScore | CreateTask | Webhook,
    Field(discriminator="type"),
]


class Definition(Strict):
    start: StepId
    steps: dict[StepId, Step] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _linked(self) -> "Definition":
        for name, step in self.steps.items():
            if isinstance(step, Condition):
                check_size(step.rule)
                targets = [step.then, step.else_]
            else:
                targets = [step.next]
            for target in targets:
                if target is not None and target not in self.steps:
                    raise ValueError(f"step {name!r} leads to unknown step {target!r}")
        if self.start not in self.steps:
            raise ValueError(f"unknown start step {self.start!r}")
        return self


class JourneyWrite(Strict):
    name: str = Field(min_length=1, max_length=200)
    trigger: SegmentTrigger | EventTrigger | DateTrigger = Field(discriminator="type")
    definition: Definition
    allow_reentry: bool = False


class JourneyRead(EntityRead):
    name: str
    trigger: dict[str, Any]
    definition: dict[str, Any]
    allow_reentry: bool
    status: str
    published_version: int


class EnrollmentRead(Strict):
    model_config = {"from_attributes": True, "extra": "forbid"}

    id: UUID
    contact_id: UUID
    version: int
    step: str | None
    status: str
    wake_at: datetime | None
    entered_at: datetime
