from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, computed_field


class AttachmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    contact_id: UUID | None
    account_id: UUID | None
    filename: str
    content_type: str
    size_bytes: int
    sha256: str = Field(description="hex SHA-256 of the content, computed on upload")
    uploaded_by: UUID
    version: int
    created_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def content_url(self) -> str:
        """Where to download the content."""
        return f"/v1/attachments/{self.id}/content"
