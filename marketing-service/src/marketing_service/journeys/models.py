from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from crm_chassis.ids import new_id
from crm_chassis.orm import Entity
from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from marketing_service.base import Base


class Journey(Entity, Base):
    """A journey (M4): a trigger and a graph of steps, edited as a draft (``trigger``,
    ``definition``) and run as published versions. ``status``: draft, active, paused."""

    __tablename__ = "journeys"

    name: Mapped[str] = mapped_column(String(200))
    trigger: Mapped[dict[str, Any]] = mapped_column(JSONB)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONB)
    allow_reentry: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    status: Mapped[str] = mapped_column(String(20), server_default=text("'draft'"))
    published_version: Mapped[int] = mapped_column(Integer, server_default=text("0"))

    __table_args__ = (Index("ix_journeys_tenant_created", "tenant_id", "created_at", "id"),)


class JourneyVersion(Base):
    """What a published version runs; enrollments keep theirs when a new one is published."""

    __tablename__ = "journey_versions"

    journey_id: Mapped[UUID] = mapped_column(
        ForeignKey("journeys.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[UUID]
    trigger: Mapped[dict[str, Any]] = mapped_column(JSONB)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONB)
    published_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Enrollment(Base):
    """A contact's progress through a journey version: the step it is at, stored, so it
    resumes after any restart. ``status``: active, completed, exited."""

    __tablename__ = "journey_enrollments"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[UUID]
    journey_id: Mapped[UUID] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    contact_id: Mapped[UUID]
    step: Mapped[str | None] = mapped_column(String(100))
    wake_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), server_default=text("'active'"))
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    __table_args__ = (
        Index("ix_journey_enrollments_contact", "tenant_id", "contact_id"),
        Index(
            "uq_journey_enrollments_active",
            "journey_id",
            "contact_id",
            unique=True,
            postgresql_where=text("status = 'active'"),
        ),
    )


class JourneySend(Base):
    """An email step's send, recorded before its message is handed over (exactly once)."""

    __tablename__ = "journey_sends"

    enrollment_id: Mapped[UUID] = mapped_column(
        ForeignKey("journey_enrollments.id", ondelete="CASCADE"), primary_key=True
    )
    step: Mapped[str] = mapped_column(String(100), primary_key=True)
    message_id: Mapped[UUID]
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
