from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator


class AccountWrite(BaseModel):
    """The writable fields of an account; POST body, and the shape a PATCH merges into."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=255)
    domain: str | None = Field(None, max_length=255, pattern=r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
    industry: str | None = Field(None, max_length=120)
    owner_id: UUID | None = None

    @field_validator("domain")
    @classmethod
    def _lower(cls, v: str | None) -> str | None:
        return v.lower() if v else v


class AccountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    domain: str | None
    industry: str | None
    owner_id: UUID | None
    version: int
    created_at: datetime
    updated_at: datetime
