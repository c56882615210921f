"""Merge audit records and the duplicate pairs a tenant scan finds (C6).

A scan itself is a chassis long task (``long_tasks``), not a table of its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from crm_chassis.ids import new_id
from crm_chassis.orm import utcnow
from sqlalchemy import DateTime, Float, Index, Integer, String, Uuid, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from contacts_service.base import Base


class Merge(Base):
    """One merge of contacts or accounts: who, when, and everything needed to undo it.

    ``before`` holds the full row of every record involved as it was; ``moved`` the child
    rows re-pointed (table, column, from, to, primary keys); ``dropped`` the child rows
    deleted because the survivor already had their twin (full rows, to re-insert).
    """

    __tablename__ = "merges"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[UUID]
    kind: Mapped[str] = mapped_column(String(20))
    primary_id: Mapped[UUID]
    merged_ids: Mapped[list[UUID]] = mapped_column(ARRAY(Uuid))
    before: Mapped[dict[str, Any]] = mapped_column(JSONB)
    moved: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'"))
    dropped: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'"))
    fields: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    survivor_version: Mapped[int] = mapped_column(Integer)
    """The survivor's version right after the merge."""
    survivor_after: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    """The survivor's row right after the merge: undo checks its content has not moved on
    (a version alone would count an undone later merge as a change)."""
    merged_by: Mapped[UUID | None]
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=text("now()")
    )
    undone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    undone_by: Mapped[UUID | None]

    __table_args__ = (
        Index("ix_merges_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_merges_tenant_primary", "tenant_id", "primary_id"),
        Index("ix_merges_merged_ids", "merged_ids", postgresql_using="gin"),
    )


class DuplicatePair(Base):
    """Two records a scan judged alike; ``a_id < b_id`` so a pair is stored once."""

    __tablename__ = "duplicate_pairs"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[UUID]
    kind: Mapped[str] = mapped_column(String(20))
    a_id: Mapped[UUID]
    b_id: Mapped[UUID]
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'"))
    scan_id: Mapped[UUID | None]
    found_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=text("now()")
    )

    __table_args__ = (
        Index("uq_duplicate_pairs_tenant_pair", "tenant_id", "kind", "a_id", "b_id", unique=True),
        Index("ix_duplicate_pairs_tenant_b", "tenant_id", "kind", "b_id"),
        Index("ix_duplicate_pairs_tenant_score", "tenant_id", "kind", "score", "id"),
    )
