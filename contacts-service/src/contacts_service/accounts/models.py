from __future__ import annotations

from uuid import UUID

from crm_chassis.orm import Entity
from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from contacts_service.base import Base


class Account(Entity, Base):
    """A company or organisation (C1)."""

    __tablename__ = "accounts"

    name: Mapped[str] = mapped_column(String(255))
    domain: Mapped[str | None] = mapped_column(String(255))
    industry: Mapped[str | None] = mapped_column(String(120))
    owner_id: Mapped[UUID | None]

    __table_args__ = (Index("ix_accounts_tenant_created", "tenant_id", "created_at", "id"),)
