from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from crm_chassis.schemas import EntityRead, Strict
from pydantic import BaseModel, ConfigDict, Field

Channel = Literal["email", "phone", "chat", "web", "portal"]
Priority = Literal["low", "normal", "high", "urgent"]
TicketType = Literal["question", "incident", "problem", "task"]
Status = Literal["new", "open", "pending", "on-hold", "solved", "closed"]
PRIORITIES: tuple[str, ...] = ("low", "normal", "high", "urgent")


class TicketFields(Strict):
    """What a caller may set on a ticket (creation, and the shape a PATCH merges into)."""

    subject: str = Field(min_length=1, max_length=500)
    channel: Channel = "web"
    priority: Priority = "normal"
    type: TicketType = "question"
    requester_id: UUID | None = Field(None, description="the contact (contacts-service)")
    requester_email: str | None = Field(None, max_length=320)
    organisation_id: UUID | None = Field(None, description="the account (contacts-service)")
    queue_id: UUID | None = None
    owner_id: UUID | None = Field(None, description="the assignee (a user id)")
    team_id: UUID | None = None
    tags: list[str] = Field(default_factory=list, max_length=50)
    custom: dict[str, Any] = Field(default_factory=dict)


class TicketCreate(TicketFields):
    description: str | None = Field(
        None, max_length=100_000, description="the requester's first message"
    )


class TicketUpdate(TicketFields):
    status: Status = "new"


class TicketRead(TicketUpdate, EntityRead):
    """A ticket as the API shows it."""

    number: int
    policy_id: UUID | None = None
    solved_at: datetime | None = None
    closed_at: datetime | None = None


FieldKind = Literal["text", "number", "bool", "date", "enum"]


class TicketFieldWrite(Strict):
    """A ticket custom field: its key in ``custom``, kind, options (an enum's) and whether
    every ticket must have a value."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,59}$")
    label: str = Field(min_length=1, max_length=200)
    kind: FieldKind
    options: list[str] = Field(default_factory=list, max_length=100)
    required: bool = False


class TicketFieldRead(TicketFieldWrite, EntityRead):
    pass


class TicketFilters(BaseModel):
    """The simple filters of ``GET /v1/tickets`` (beside ``limit``, ``cursor``, ``sort``)."""

    status: list[Status] | None = None
    queue_id: UUID | None = None
    owner_id: UUID | None = None
    requester_id: UUID | None = None
    priority: Priority | None = None


class MessageWrite(Strict):
    body: str = Field(min_length=1, max_length=100_000)
    public: bool = Field(True, description="a public reply; false for an internal note")
    status: Status | None = Field(None, description="move the ticket with the reply")


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    ticket_id: UUID
    created_at: datetime
    author: str
    author_id: UUID | None
    public: bool
    body: str
    from_address: str | None
    message_id: str | None
    delivery: str | None


class HistoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    at: datetime
    kind: str
    data: dict[str, Any]
    actor_id: UUID | None


class AssignRequest(Strict):
    queue_id: UUID | None = Field(None, description="route into this queue first")
    owner_id: UUID | None = Field(None, description="assign to this user directly")
