from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contacts_service.common.schemas import PHONE_PATTERN, Address, Strict, Tags


class AccountType(StrEnum):
    CUSTOMER = "customer"
    PROSPECT = "prospect"
    PARTNER = "partner"
    DISTRIBUTOR = "distributor"
    RESELLER = "reseller"


class AccountWrite(Strict):
    """The writable fields of an account; POST body, and the shape a PATCH merges into."""

    name: str = Field(min_length=1, max_length=255)
    domain: str | None = Field(None, max_length=255, pattern=r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
    industry: str | None = Field(None, max_length=120)
    type: AccountType | None = None
    employees: int | None = Field(None, ge=0, le=10_000_000)
    website: str | None = Field(None, max_length=500, pattern=r"^https?://\S+$")
    phone: str | None = Field(None, max_length=40, pattern=PHONE_PATTERN)
    address: Address | None = None
    parent_id: UUID | None = None
    owner_id: UUID | None = None
    team_id: UUID | None = None
    tags: Tags = Field(default_factory=list)
    custom: dict[str, Any] = Field(default_factory=dict)
    external_id: str | None = Field(None, max_length=255)

    @field_validator("domain")
    @classmethod
    def _lower(cls, v: str | None) -> str | None:
        return v.lower() if v else v

    @field_validator("industry", "external_id")
    @classmethod
    def _blank_is_none(cls, v: str | None) -> str | None:
        # An empty external_id would be a value every other empty one collides with.
        return v or None


class AccountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    domain: str | None
    industry: str | None
    type: str | None
    employees: int | None
    website: str | None
    phone: str | None
    address: Address | None
    parent_id: UUID | None
    owner_id: UUID | None
    team_id: UUID | None = None
    tags: list[str]
    custom: dict[str, Any]
    external_id: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class AccountFilters(BaseModel):
    """The simple filters of ``GET /v1/accounts``; rich ones go through search."""

    domain: str | None = Field(None, max_length=255)
    type: AccountType | None = None
    parent_id: UUID | None = None
    owner_id: UUID | None = None
    team_id: UUID | None = None
    tag: str | None = Field(None, max_length=60)
