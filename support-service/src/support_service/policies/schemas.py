from __future__ import annotations

from typing import Literal
from uuid import UUID

from crm_chassis.schemas import EntityRead, Strict
from pydantic import Field

Metric = Literal["first_reply", "next_reply", "periodic_update", "resolution"]
Priority = Literal["low", "normal", "high", "urgent"]
PausingStatus = Literal["pending", "on-hold"]


class Conditions(Strict):
    """All given conditions must hold (each a list: any of its values matches)."""

    priority: list[Priority] | None = None
    channel: list[str] | None = None
    type: list[str] | None = None
    queue_id: list[UUID] | None = None
    organisation_id: list[UUID] | None = None
    tags: list[str] | None = Field(None, description="the ticket has any of these tags")


class TargetWrite(Strict):
    metric: Metric
    priority: Priority
    minutes: int = Field(gt=0, le=60 * 24 * 365)
    business_hours: bool = True


class Escalation(Strict):
    """What happens when a metric breaches, besides the breach event."""

    raise_priority: bool = False
    reassign_queue_id: UUID | None = None
    notify: list[str] = Field(default_factory=list, description="who the event names")


class SlaPolicyWrite(Strict):
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["sla", "ola"] = "sla"
    position: int = Field(0, ge=0)
    conditions: Conditions = Conditions()
    calendar_id: UUID | None = Field(
        None, description="business hours for targets in business hours (else the queue's)"
    )
    targets: list[TargetWrite] = Field(default_factory=list, max_length=100)
    pause_on: dict[Metric, list[PausingStatus]] = Field(
        default_factory=lambda: {"resolution": ["pending", "on-hold"],  # type: ignore[arg-type]
                                 "periodic_update": ["pending", "on-hold"]},
        description="the statuses that stop each metric's clock",
    )  # fmt: skip
    warn_share: float = Field(0.75, gt=0, lt=1)
    escalation: Escalation = Escalation()


class SlaPolicyRead(SlaPolicyWrite, EntityRead):
    """An SLA or OLA policy as the API shows it."""
