from __future__ import annotations

from typing import Literal
from uuid import UUID

from crm_chassis.schemas import EntityRead, Strict
from pydantic import Field

Strategy = Literal["round_robin", "least_load", "skill_match"]


class QueueWrite(Strict):
    name: str = Field(min_length=1, max_length=200)
    strategy: Strategy = "round_robin"
    skills: list[str] = Field(default_factory=list, description="skills its tickets need")
    calendar_id: UUID | None = None
    team_id: UUID | None = None


class QueueRead(QueueWrite, EntityRead):
    """A queue as the API shows it."""


class AgentWrite(Strict):
    user_id: UUID
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(None, max_length=320)
    skills: list[str] = Field(default_factory=list, max_length=100)
    capacity: int = Field(10, ge=0, le=1000)
    available: bool = True
    queue_ids: list[UUID] = Field(default_factory=list, max_length=100)


class AgentRead(AgentWrite, EntityRead):
    """An agent as the API shows it."""
