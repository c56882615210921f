from __future__ import annotations

from uuid import UUID

from crm_chassis.orm import Entity
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from contacts_service.base import Base


class Contact(Entity, Base):
    """A person (C2)."""

    __tablename__ = "contacts"

    first_name: Mapped[str | None] = mapped_column(String(120))
    last_name: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[str | None] = mapped_column(String(200))
    account_id: Mapped[UUID | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    owner_id: Mapped[UUID | None]

    __table_args__ = (
        Index("ix_contacts_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_contacts_tenant_email", "tenant_id", "email"),
        Index("ix_contacts_account", "account_id"),
    )
