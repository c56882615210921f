from __future__ import annotations

from uuid import UUID

from crm_chassis.orm import Entity
from sqlalchemy import Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from sales_service.base import Base


class Partner(Entity, Base):
    """A channel partner (S12): a contacts account of a partner type, with its tier and
    its place in the channel (level 1 sells to customers; level 2 through a level 1...)."""

    __tablename__ = "partners"

    account_id: Mapped[UUID] = mapped_column()
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(20))
    tier: Mapped[str] = mapped_column(String(20), server_default=text("'registered'"))
    level: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    parent_id: Mapped[UUID | None] = mapped_column()

    __table_args__ = (
        Index("uq_partners_tenant_account", "tenant_id", "account_id", unique=True),
        Index("ix_partners_tenant_created", "tenant_id", "created_at", "id"),
    )


class DealRegistration(Entity, Base):
    """A partner's claim on a customer opportunity; a second partner's claim on the same
    account while one is open is a ``conflict`` for the channel manager."""

    __tablename__ = "deal_registrations"

    partner_id: Mapped[UUID] = mapped_column()
    account_id: Mapped[UUID] = mapped_column()
    deal_id: Mapped[UUID | None] = mapped_column()
    name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), server_default=text("'pending'"))
    conflicts_with: Mapped[UUID | None] = mapped_column()

    __table_args__ = (
        Index("ix_deal_registrations_account", "tenant_id", "account_id", "status"),
        Index("ix_deal_registrations_tenant_created", "tenant_id", "created_at", "id"),
    )
