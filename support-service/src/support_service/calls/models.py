from __future__ import annotations

from datetime import datetime
from uuid import UUID

from crm_chassis.orm import Entity
from sqlalchemy import DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from support_service.base import Base


class PhoneCall(Entity, Base):
    """An inbound or outbound call (V6), linked to a contact and a ticket."""

    __tablename__ = "calls"

    direction: Mapped[str] = mapped_column(String(8))
    from_number: Mapped[str] = mapped_column(String(16))
    to_number: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duration_seconds: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))
    recording_ref: Mapped[str | None] = mapped_column(String(2000))
    agent_id: Mapped[UUID | None] = mapped_column()
    contact_id: Mapped[UUID | None] = mapped_column()
    ticket_id: Mapped[UUID | None] = mapped_column()

    __table_args__ = (
        Index("ix_calls_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_calls_tenant_contact", "tenant_id", "contact_id", "started_at"),
    )
