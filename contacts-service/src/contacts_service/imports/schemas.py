"""Request and response shapes of the batch endpoint and of import jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from crm_chassis.tasks import Task
from pydantic import BaseModel, ConfigDict, Field

from contacts_service.contacts.schemas import ContactWrite
from contacts_service.imports.batch import MAX_ITEMS, MatchOn, Mode
from contacts_service.imports.models import Import


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


COUNTS = ("created", "updated", "unchanged", "failed")


def status_of(task: Task) -> str:
    """The import's status as its resource and event name it (``completed``, not the
    chassis' ``succeeded``; a cancelled import counts as failed)."""
    return {"succeeded": "completed", "cancelled": "failed"}.get(task.status, task.status)


def counts_of(task: Task) -> dict[str, int]:
    return {name: task.result.get(name, 0) for name in COUNTS}


def total_rows(task: Task) -> int | None:
    """The rows of the file: counted at the first step; a failed import's are those done."""
    return task.done if task.total is None and task.finished else task.total


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
    def of(cls, imp: Import, task: Task) -> ImportRead:
        """An import (its row and its long task) as the resource shows it."""
        return cls(
            id=imp.id,
            status=status_of(task),
            format=imp.format,
            filename=imp.filename,
            size_bytes=imp.size_bytes,
            mapping=imp.mapping,
            mode=imp.mode,
            match_on=imp.match_on,
            dry_run=imp.dry_run,
            total_rows=total_rows(task),
            processed=task.done,
            **counts_of(task),
            error=task.error,
            errors_url=f"/v1/imports/{imp.id}/errors.csv",
            created_at=imp.created_at,
            started_at=task.started_at,
            finished_at=task.finished_at,
            version=imp.version,
        )
