from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class PipelineWrite(BaseModel):
    """The writable fields of a pipeline: POST body, and the shape a PATCH merges into."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    is_default: bool = False
    owner_id: UUID | None = None
    team_id: UUID | None = None


class PipelineRead(PipelineWrite):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    version: int
    created_at: datetime
    updated_at: datetime
