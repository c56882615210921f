from __future__ import annotations

from datetime import datetime
from uuid import UUID

from crm_chassis.schemas import Strict
from pydantic import BaseModel, ConfigDict, Field, model_validator


class PortalTokenRequest(Strict):
    """Whose portal this is: a contact id, an email address, or both."""

    requester_id: UUID | None = None
    requester_email: str | None = Field(None, max_length=320)
    days: int = Field(30, ge=1, le=365)

    @model_validator(mode="after")
    def _someone(self) -> PortalTokenRequest:
        if self.requester_id is None and not self.requester_email:
            raise ValueError("name the requester by requester_id or requester_email")
        return self


class PortalToken(BaseModel):
    token: str
    expires_at: datetime


class PortalTicketCreate(Strict):
    subject: str = Field(min_length=1, max_length=500)
    description: str = Field(min_length=1, max_length=100_000)


class PortalMessageWrite(Strict):
    body: str = Field(min_length=1, max_length=100_000)


class PortalMessage(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    created_at: datetime
    author: str
    body: str


class PortalTicket(BaseModel):
    """A ticket as its requester sees it: no assignee, notes, tags or custom fields."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    number: int
    subject: str
    status: str
    channel: str
    created_at: datetime
    updated_at: datetime
    solved_at: datetime | None


class PortalTicketDetail(PortalTicket):
    messages: list[PortalMessage]
