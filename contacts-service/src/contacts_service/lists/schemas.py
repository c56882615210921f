from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from contacts_service.common.schemas import Strict
from contacts_service.custom_fields.schemas import ObjectType


class ListCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    object_type: ObjectType = ObjectType.CONTACT
    description: str | None = Field(None, max_length=2000)


class ListUpdate(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)


class ListRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    object_type: str
    description: str | None
    size: int = 0
    version: int
    created_at: datetime
    updated_at: datetime


class MemberIds(Strict):
    ids: list[UUID] = Field(min_length=1, max_length=1000)


class MembershipChange(BaseModel):
    changed: list[UUID] = Field(description="ids actually added (or removed)")
    unknown: list[UUID] = Field(description="ids that are no record of this tenant")


class ListMemberRead(BaseModel):
    member_id: UUID
    added_at: datetime
