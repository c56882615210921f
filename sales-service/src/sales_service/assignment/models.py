from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.orm import Entity
from sqlalchemy import Boolean, Index, Integer, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sales_service.base import Base


class AssignmentRule(Entity, Base):
    """One ordered rule of lead assignment: conditions, and a user or a queue (S2)."""

    __tablename__ = "assignment_rules"

    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'"))
    owner_id: Mapped[UUID | None] = mapped_column()
    queue_id: Mapped[UUID | None] = mapped_column()
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))

    __table_args__ = (
        Index("ix_assignment_rules_tenant_position", "tenant_id", "position"),
        Index("ix_assignment_rules_tenant_created", "tenant_id", "created_at", "id"),
    )


class AssignmentQueue(Entity, Base):
    """A team or queue of reps taking leads in turn; ``unavailable`` ones are skipped."""

    __tablename__ = "assignment_queues"

    name: Mapped[str] = mapped_column(String(200))
    members: Mapped[list[str]] = mapped_column(JSONB, server_default=text("'[]'"))
    unavailable: Mapped[list[str]] = mapped_column(JSONB, server_default=text("'[]'"))
    last_assigned: Mapped[UUID | None] = mapped_column()

    __table_args__ = (
        Index("ix_assignment_queues_tenant_created", "tenant_id", "created_at", "id"),
    )
