from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.orm import Entity
from sqlalchemy import Index, Integer, Numeric, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from support_service.base import Base


class SlaPolicy(Entity, Base):
    """An ordered SLA (customer) or OLA (between teams) policy: the first of its kind
    whose conditions match a ticket applies (V3, V9)."""

    __tablename__ = "sla_policies"

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(8))
    position: Mapped[int] = mapped_column(Integer)
    conditions: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    calendar_id: Mapped[UUID | None] = mapped_column()
    targets: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    pause_on: Mapped[dict[str, list[str]]] = mapped_column(JSONB, default=dict)
    warn_share: Mapped[float] = mapped_column(Numeric(4, 3, asdecimal=False))
    escalation: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)

    __table_args__ = (
        Index("ix_sla_policies_tenant_order", "tenant_id", "kind", "position", "id"),
        Index("ix_sla_policies_tenant_created", "tenant_id", "created_at", "id"),
    )
