from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from contacts_service.common.schemas import Strict


class LinkWrite(Strict):
    role: str | None = Field(None, max_length=120, description="e.g. 'Decision maker'")
    primary: bool = False


class LinkRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    contact_id: UUID
    account_id: UUID
    role: str | None
    primary: bool = Field(validation_alias="is_primary")
    created_at: datetime
