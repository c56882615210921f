"""Request and response shapes of duplicates, merges and undo (C6)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from contacts_service.common.schemas import Strict

MAX_MERGED = 10
R = TypeVar("R")


class MergeRequest(Strict):
    primary_id: UUID
    merged_ids: list[UUID] = Field(min_length=1, max_length=MAX_MERGED)
    field_choices: dict[str, UUID] = Field(
        default_factory=dict,
        description='Overrides of the rules: {"title": "<id of the record whose title wins>"}; '
        'custom values as "custom.<key>".',
    )


class UndoRequest(Strict):
    force: bool = Field(
        False,
        description="Undo even though the survivor was edited since the merge; those later "
        "edits are lost. Never overrides a later merge into the survivor.",
    )


class Reason(BaseModel):
    field: str
    match: str
    detail: str | None = None
    weight: float


class Duplicate(BaseModel, Generic[R]):
    id: UUID
    score: float
    reasons: list[Reason]
    record: R


class FieldSource(BaseModel):
    rule: Literal["primary", "filled", "chosen", "union", "most_restrictive", "empty"]
    sources: list[UUID] = Field(validation_alias="from", serialization_alias="from")

    model_config = ConfigDict(populate_by_name=True)


class ChildMove(BaseModel):
    table: str
    column: str
    moved: int
    dropped: int


class MergePreview(BaseModel, Generic[R]):
    primary_id: UUID
    merged_ids: list[UUID]
    record: R
    fields: dict[str, FieldSource]
    children: list[ChildMove]


class MergeRead(BaseModel):
    id: UUID
    kind: str
    primary_id: UUID
    merged_ids: list[UUID]
    fields: dict[str, FieldSource]
    before: dict[str, dict[str, Any]]
    """Every record involved as it was, by id."""
    children: list[ChildMove]
    merged_by: UUID | None
    created_at: datetime
    undo_until: datetime
    undone_at: datetime | None
    undone_by: UUID | None


class MergeResult(BaseModel, Generic[R]):
    merge: MergeRead
    record: R


class UndoResult(BaseModel):
    merge: MergeRead
    restored_ids: list[UUID]
    rows_not_restored: int = Field(
        description="Child rows that changed or vanished after the merge and were left as they are."
    )


class ScanRequest(Strict):
    min_score: float = Field(0.6, ge=0.0, le=1.0)


class ScanRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    kind: str
    status: str
    min_score: float
    processed: int
    total: int
    pairs_found: int
    error: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


class RecordSummary(BaseModel):
    id: UUID
    name: str | None
    email: str | None = None
    domain: str | None = None


class PairRead(BaseModel):
    id: UUID
    score: float
    reasons: list[Reason]
    a: RecordSummary
    b: RecordSummary
    scan_id: UUID | None
    found_at: datetime
