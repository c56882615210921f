"""Pydantic bases every resource's schemas share."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """A request body: an unknown field is a 422, never silently dropped; text is
    stripped of surrounding white space."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class EntityRead(BaseModel):
    """What every aggregate's read schema carries (:class:`crm_chassis.orm.Entity`)."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    version: int
    created_at: datetime
    updated_at: datetime
