from __future__ import annotations

from uuid import UUID

from crm_chassis.money import money_column
from crm_chassis.orm import Entity
from crm_proto.money import Money
from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from sales_service.base import Base


class Quota(Entity, Base):
    """What an owner is to close in a period (``2026-Q1`` or ``2026-03``), S11."""

    __tablename__ = "quotas"

    owner_id: Mapped[UUID] = mapped_column()
    period: Mapped[str] = mapped_column(String(7))
    amount: Mapped[Money] = money_column("amount")

    __table_args__ = (
        Index("uq_quotas_owner_period", "tenant_id", "owner_id", "period", unique=True),
        Index("ix_quotas_tenant_created", "tenant_id", "created_at", "id"),
    )
