"""Task automation (S10) as data: when a deal is created, if its facts meet the rule's
conditions, a task for its owner; otherwise, if the rule says so, an event the marketing
journeys can react to. Conditions are the assignment rules' (same operators)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sales_service.assignment import engine
from sales_service.assignment.schemas import ConditionIn


class CreateTask(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["create_task"]
    task_type: Literal["call", "meeting", "todo", "email", "other"] = "call"
    title: str = Field(min_length=1, max_length=255)
    due_in_hours: int = Field(24, ge=0, le=24 * 365)


class EmitNurture(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["request_nurture"]


Action = CreateTask | EmitNurture


class TaskRuleBody(BaseModel):
    """``{"if": [conditions], "then": action, "else": action | null}``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    if_: list[ConditionIn] = Field(default_factory=list, alias="if", max_length=20)
    then: Action = Field(discriminator="type")
    else_: Action | None = Field(None, alias="else", discriminator="type")


@dataclass(frozen=True)
class Outcome:
    branch: str
    action: Action | None


def decide(body: TaskRuleBody, facts: Mapping[str, Any]) -> Outcome:
    """Which action of the rule applies to ``facts``."""
    conditions = [engine.Condition(c.field, c.operator, c.value) for c in body.if_]
    if all(engine.holds(c, facts) for c in conditions):
        return Outcome("then", body.then)
    return Outcome("else", body.else_)
