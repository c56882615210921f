from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from crm_chassis.orm import Entity
from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from marketing_service.base import Base


class Segment(Entity, Base):
    """A dynamic segment (M1): a rule tree; its members are kept in ``segment_members``."""

    __tablename__ = "segments"

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    rule: Mapped[dict[str, Any]] = mapped_column(JSONB)
    relative: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    """The rule depends on the time of evaluation (re-evaluated on a schedule)."""
    evaluated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_segments_tenant_created", "tenant_id", "created_at", "id"),
        Index("uq_segments_tenant_name", "tenant_id", "name", unique=True),
    )


class SegmentMember(Base):
    __tablename__ = "segment_members"

    tenant_id: Mapped[UUID] = mapped_column(primary_key=True)
    segment_id: Mapped[UUID] = mapped_column(
        ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[UUID] = mapped_column(primary_key=True)
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (Index("ix_segment_members_contact", "tenant_id", "contact_id"),)
