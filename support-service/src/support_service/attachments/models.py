from __future__ import annotations

from datetime import datetime
from uuid import UUID

from crm_chassis.ids import new_id
from crm_chassis.orm import utcnow
from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from support_service.base import Base


class TicketAttachment(Base):
    """A file of a ticket (or of one of its messages); its content is in the object store."""

    __tablename__ = "ticket_attachments"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[UUID] = mapped_column()
    ticket_id: Mapped[UUID] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    message_id: Mapped[UUID | None] = mapped_column()
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    key: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[UUID | None] = mapped_column()

    __table_args__ = (
        Index("ix_ticket_attachments_ticket", "tenant_id", "ticket_id", "created_at"),
    )
