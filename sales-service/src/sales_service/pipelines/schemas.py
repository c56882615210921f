from uuid import UUID

from crm_chassis.schemas import EntityRead, Strict
from pydantic import Field


class PipelineWrite(Strict):
    """The writable fields of a pipeline: POST body, and the shape a PATCH merges into."""

    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    is_default: bool = False
    owner_id: UUID | None = None
    team_id: UUID | None = None


class PipelineRead(PipelineWrite, EntityRead):
    """A pipeline as the API shows it."""
