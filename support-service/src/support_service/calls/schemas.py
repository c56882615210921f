from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from crm_chassis.schemas import EntityRead, Strict
from pydantic import BaseModel, Field

E164 = Annotated[str, Field(pattern=r"^\+[1-9][0-9]{1,14}$", examples=["+4930123456"])]


class CallWrite(Strict):
    direction: Literal["inbound", "outbound"]
    from_number: E164
    to_number: E164
    started_at: datetime
    duration_seconds: int = Field(0, ge=0, le=7 * 86_400)
    outcome: Literal["answered", "missed", "voicemail", "busy", "failed"] = "answered"
    recording_ref: str | None = Field(None, max_length=2000, description="an object key or URL")
    agent_id: UUID | None = None
    contact_id: UUID | None = None
    ticket_id: UUID | None = None


class CallRead(CallWrite, EntityRead):
    """A call record as the API shows it (an erased person's number reads ``(erased)``)."""

    from_number: str
    to_number: str


class CallFilters(BaseModel):
    contact_id: UUID | None = None
    ticket_id: UUID | None = None
    agent_id: UUID | None = None


class ScreenPop(BaseModel):
    """Who is calling: the contacts the number belongs to (contacts-service) and their
    unsolved tickets here."""

    number: str
    contacts: list[dict[str, Any]]
    open_tickets: list[dict[str, Any]]


class DialTarget(BaseModel):
    """Click-to-dial data for a contact: each number as E.164 and a ``tel:`` URI."""

    contact_id: UUID
    name: str | None
    numbers: list[dict[str, str]]
