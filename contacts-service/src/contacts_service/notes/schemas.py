from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contacts_service.common.schemas import Strict
from contacts_service.notes.mentions import MAX_MENTIONS, SYNTAX_DOC, mentions_in

MAX_BODY_BYTES = 100_000


class NoteWrite(Strict):
    """A note; it belongs to a contact, an account, or both (at least one)."""

    body: str = Field(min_length=1, description=SYNTAX_DOC)
    contact_id: UUID | None = None
    account_id: UUID | None = None

    @field_validator("body")
    @classmethod
    def _bounded(cls, body: str) -> str:
        if len(body.encode()) > MAX_BODY_BYTES:
            raise ValueError(f"at most {MAX_BODY_BYTES} bytes of UTF-8")
        if len(mentions_in(body)) > MAX_MENTIONS:
            raise ValueError(f"at most {MAX_MENTIONS} different users mentioned")
        return body


class NoteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    contact_id: UUID | None
    account_id: UUID | None
    author_id: UUID = Field(description="the user who wrote the note")
    body: str
    mentions: list[str] = Field(description="user ids mentioned in the body, in order")
    version: int
    created_at: datetime
    updated_at: datetime
