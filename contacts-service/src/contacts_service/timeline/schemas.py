from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from contacts_service.timeline.rules import Kind


class TimelineEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    kind: Kind
    occurred_at: datetime
    title: str
    summary: str | None
    contact_id: UUID | None
    account_id: UUID | None
    source: str = Field(description="the service that published the event")
    event_type: str
    event_id: UUID
    data: dict[str, Any] = Field(description="the event's payload, as published")
