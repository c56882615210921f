"""Bodies of the webhook API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from crm_chassis.schemas import EntityRead, Strict
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

#: An event type or a pattern of them: ``crm.sales.deal.created.v1``, ``crm.sales.*``, ``*``.
EventTypeFilter = Annotated[
    str, StringConstraints(pattern=r"^(\*|[a-z0-9_]+(\.([a-z0-9_]+|\*))*)$")
]


class WebhookCreate(Strict):
    """A subscription: which events, to which URL."""

    url: str = Field(min_length=8, max_length=2048)
    event_types: list[EventTypeFilter] = Field(min_length=1, max_length=50)
    description: str | None = Field(None, max_length=500)


class WebhookUpdate(Strict):
    """What a PATCH may change (JSON Merge Patch); ``enabled: true`` re-enables a
    subscription the dispatcher disabled."""

    url: str | None = Field(None, min_length=8, max_length=2048)
    event_types: list[EventTypeFilter] | None = Field(None, min_length=1, max_length=50)
    description: str | None = Field(None, max_length=500)
    enabled: bool | None = None


class WebhookRead(EntityRead):
    """A subscription as listed: never its secrets."""

    url: str
    event_types: list[str]
    description: str | None
    disabled_at: datetime | None
    disabled_reason: str | None


class WebhookCreated(WebhookRead):
    """A new subscription and its signing secret, shown this once."""

    secret: str


class SecretRotated(BaseModel):
    """The new signing secret; the previous one signs too until ``previous_expires_at``."""

    secret: str
    previous_expires_at: datetime


class AttemptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    url: str
    request_headers: dict[str, str]
    status: int | None
    response_body: str | None
    error: str | None
    duration_ms: int


class DeliveryRead(BaseModel):
    """One event for the subscription, with every attempt (newest first)."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="the webhook-id header of every attempt")
    event_id: str
    event_type: str
    state: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    event: dict[str, Any]
    log: list[AttemptRead] = Field(default_factory=list)


class RedeliverRange(Strict):
    """Redeliver every delivery of the subscription created in ``[since, until)``."""

    since: datetime
    until: datetime


class Redelivered(BaseModel):
    count: int
