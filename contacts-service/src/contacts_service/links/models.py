from __future__ import annotations

from datetime import datetime
from uuid import UUID

from crm_chassis.orm import utcnow
from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from contacts_service.base import Base


class ContactAccount(Base):
    """A contact's link to an account, with the role they hold there (C2)."""

    __tablename__ = "contact_accounts"

    contact_id: Mapped[UUID] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[UUID]
    role: Mapped[str | None] = mapped_column(String(120))
    is_primary: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=text("now()")
    )

    __table_args__ = (Index("ix_contact_accounts_account", "account_id"),)
