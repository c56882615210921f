from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from crm_chassis.tasks import TaskProgress
from pydantic import BaseModel, ConfigDict


class RunInfo(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    model: str
    version: int
    window_from: datetime | None
    window_to: datetime
    params: dict[str, Any]
    summary: dict[str, Any]
    created_at: datetime


class RunRead(RunInfo):
    results: list[dict[str, Any]]


class RunStatus(BaseModel):
    """A run as its task sees it until it has finished, then the run itself."""

    id: UUID
    model: str
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    task: TaskProgress | None = None
    run: RunRead | None = None


class CustomerScores(BaseModel):
    customer_id: UUID
    scores: dict[str, dict[str, Any]]
    """The customer's row of the latest run of each model that scored them, by model,
    with that run's ``version``."""
