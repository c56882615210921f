"""Request and response shapes of the batch endpoint and of import jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from contacts_service.contacts.schemas import ContactWrite
from contacts_service.imports.batch import MAX_ITEMS, MatchOn, Mode


class BatchRequest(BaseModel):
    """Up to 1,000 contacts. ``create`` always creates; ``upsert`` updates the contact that
    matches on ``match_on`` (merging the item into it, as a JSON Merge Patch) or creates."""

    model_config = ConfigDict(extra="forbid")

    items: list[Any] = Field(min_length=1, max_length=MAX_ITEMS)
    mode: Mode = Mode.CREATE
    match_on: MatchOn = MatchOn.EMAIL


class BatchRequestDoc(BatchRequest):
    """The documented form of the body (items are validated one by one, not as a whole)."""

    items: list[ContactWrite] = Field(min_length=1, max_length=MAX_ITEMS)  # type: ignore[assignment,unused-ignore]


class FieldError(BaseModel):
    field: str
    message: str


class BatchItemResult(BaseModel):
    index: int
    status: Literal["created", "updated", "unchanged", "error"]
    id: UUID | None = None
    errors: list[FieldError] = []


class BatchResponse(BaseModel):
    """200 whenever the batch was processed, even if some or all items failed: each item
    has its own result, in the order sent; bad items were not written."""

    results: list[BatchItemResult]
    created: int
    updated: int
    unchanged: int
    failed: int


class ImportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    status: Literal["queued", "running", "completed", "failed"]
    format: Literal["csv", "vcard"]
    filename: str | None
    size_bytes: int
    mapping: dict[str, str]
    mode: Mode
    match_on: MatchOn
    dry_run: bool
    total_rows: int | None
    processed: int
    created: int
    updated: int
    unchanged: int
    failed: int
    error: str | None
    errors_url: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    version: int

    @classmethod
    def of(cls, job: Any) -> ImportRead:
        data = {name: getattr(job, name) for name in cls.model_fields if name != "errors_url"}
        return cls(**data, errors_url=f"/v1/imports/{job.id}/errors.csv")
