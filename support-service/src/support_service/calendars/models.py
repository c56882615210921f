from __future__ import annotations

from typing import Any

from crm_chassis.orm import Entity
from sqlalchemy import Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from support_service.base import Base


class Calendar(Entity, Base):
    """Business hours in a time zone, and holidays (V4); queues and policies name one."""

    __tablename__ = "calendars"

    name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64))
    hours: Mapped[dict[str, Any]] = mapped_column(JSONB)
    holidays: Mapped[list[str]] = mapped_column(JSONB, default=list)
    country: Mapped[str | None] = mapped_column(String(8))
    subdivision: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        Index("ix_calendars_tenant_created", "tenant_id", "created_at", "id"),
        Index("uq_calendars_tenant_name", "tenant_id", "name", unique=True),
    )
