from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from crm_chassis.orm import Entity, Owned
from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sales_service.base import Base

TYPES = ("call", "meeting", "todo", "email", "other")


class Task(Entity, Owned, Base):
    """A call, meeting or to-do (S10), due at a time, with an optional reminder."""

    __tablename__ = "tasks"

    type: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    remind_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deal_id: Mapped[UUID | None] = mapped_column()
    lead_id: Mapped[UUID | None] = mapped_column()
    contact_id: Mapped[UUID | None] = mapped_column()
    account_id: Mapped[UUID | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rule_id: Mapped[UUID | None] = mapped_column()

    __table_args__ = (
        Index("ix_tasks_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_tasks_tenant_owner_due", "tenant_id", "owner_id", "due_at"),
    )


class TaskRule(Entity, Base):
    """An automation rule: when a deal is created, if its amount is above a threshold, a
    task for its owner; otherwise an event other services (marketing journeys) react to."""

    __tablename__ = "task_rules"

    name: Mapped[str] = mapped_column(String(200))
    trigger: Mapped[str] = mapped_column(String(40))
    body: Mapped[dict[str, Any]] = mapped_column(JSONB)
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))

    __table_args__ = (Index("ix_task_rules_tenant_created", "tenant_id", "created_at", "id"),)


class CalendarFeed(Base):
    """A user's secret iCalendar feed URL (``/v1/calendar/{secret}.ics``)."""

    __tablename__ = "calendar_feeds"

    secret: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column()
    user_id: Mapped[UUID] = mapped_column()

    __table_args__ = (Index("uq_calendar_feeds_user", "tenant_id", "user_id", unique=True),)
