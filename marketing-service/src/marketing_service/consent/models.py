from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column

from marketing_service.base import Base

ALL_PURPOSES = "*"


class Suppression(Base):
    """A contact not to be sent to on a channel, for a purpose (``*``: any): unsubscribed
    here, a hard bounce or a complaint. Checked on every send with the projection's
    consent, so an unsubscribe holds at once, before contacts-service records it."""

    __tablename__ = "suppressions"

    tenant_id: Mapped[UUID] = mapped_column(primary_key=True)
    contact_id: Mapped[UUID] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(60), primary_key=True)
    reason: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
