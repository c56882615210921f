from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from crm_chassis.schemas import Strict
from pydantic import BaseModel, ConfigDict, Field


class TrackedEvent(Strict):
    type: Literal["page_view", "custom", "form_submitted"]
    contact_id: UUID
    name: str | None = Field(None, max_length=500)
    """The page's path for a visit, the event's name otherwise (``cart_abandoned``)."""
    properties: dict[str, Any] = Field(default_factory=dict)
    occurred_at: datetime | None = None


class TrackBatch(Strict):
    events: list[TrackedEvent] = Field(min_length=1, max_length=500)


class TouchpointRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    kind: str
    name: str | None
    channel: str
    campaign_id: UUID | None
    message_id: UUID | None
    properties: dict[str, Any]
    occurred_at: datetime
