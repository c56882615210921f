"""Events published by sales-service about its own records (besides the activity
contract in :mod:`crm_proto.events.activity`)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from crm_proto.registry import event_type


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PipelineSnapshot(_Payload):
    id: UUID
    name: str
    description: str | None = None
    is_default: bool = False
    owner_id: UUID | None = None
    team_id: UUID | None = None
    version: int
    created_at: datetime
    updated_at: datetime


@event_type("crm.sales.pipeline.created.v1")
class PipelineCreated(_Payload):
    """A sales pipeline was created (S4)."""

    pipeline: PipelineSnapshot


@event_type("crm.sales.pipeline.updated.v1")
class PipelineUpdated(_Payload):
    """A pipeline changed; ``changed`` names its fields that did."""

    pipeline: PipelineSnapshot
    changed: list[str]


@event_type("crm.sales.pipeline.deleted.v1")
class PipelineDeleted(_Payload):
    """A pipeline was deleted."""

    id: UUID
