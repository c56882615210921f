from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
PHONE_PATTERN = r"^\+?[0-9 ()./-]{3,40}$"


class ContactWrite(BaseModel):
    """The writable fields of a contact; POST body, and the shape a PATCH merges into."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    first_name: str | None = Field(None, max_length=120)
    last_name: str | None = Field(None, max_length=120)
    email: str | None = Field(None, max_length=320, pattern=EMAIL_PATTERN)
    phone: str | None = Field(None, max_length=40, pattern=PHONE_PATTERN)
    title: str | None = Field(None, max_length=200)
    account_id: UUID | None = None
    owner_id: UUID | None = None

    @field_validator("email")
    @classmethod
    def _lower(cls, v: str | None) -> str | None:
        return v.lower() if v else v

    @field_validator("first_name", "last_name", "title", "phone")
    @classmethod
    def _blank_is_none(cls, v: str | None) -> str | None:
        return v or None

    @model_validator(mode="after")
    def _identifiable(self) -> ContactWrite:
        if not (self.first_name or self.last_name or self.email or self.phone):
            raise ValueError("a contact needs a name, an email or a phone")
        return self


class ContactRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    title: str | None
    account_id: UUID | None
    owner_id: UUID | None
    version: int
    created_at: datetime
    updated_at: datetime
