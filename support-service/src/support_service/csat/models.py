from __future__ import annotations

from datetime import datetime
from uuid import UUID

from crm_chassis.ids import new_id
from crm_chassis.orm import utcnow
from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from support_service.base import Base


class Survey(Base):
    """The CSAT/NPS survey of a solved ticket (V8): one per ticket, answered once."""

    __tablename__ = "surveys"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[UUID] = mapped_column()
    ticket_id: Mapped[UUID] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rating: Mapped[int | None] = mapped_column(Integer)
    nps: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (Index("uq_surveys_tenant_ticket", "tenant_id", "ticket_id", unique=True),)
