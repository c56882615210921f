from __future__ import annotations

from uuid import UUID

from crm_chassis.orm import Entity
from sqlalchemy import Boolean, Index, Integer, String, Uuid, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from support_service.base import Base


class Queue(Entity, Base):
    """Where tickets wait for an agent, and how one is chosen (V2)."""

    __tablename__ = "queues"

    name: Mapped[str] = mapped_column(String(200))
    strategy: Mapped[str] = mapped_column(String(16))
    skills: Mapped[list[str]] = mapped_column(ARRAY(String(100)), server_default="{}")
    calendar_id: Mapped[UUID | None] = mapped_column()
    team_id: Mapped[UUID | None] = mapped_column()
    last_agent_id: Mapped[UUID | None] = mapped_column()
    """The agent round-robin assigned last."""

    __table_args__ = (
        Index("ix_queues_tenant_created", "tenant_id", "created_at", "id"),
        Index("uq_queues_tenant_name", "tenant_id", "name", unique=True),
    )


class Agent(Entity, Base):
    """A user who takes tickets: skills, capacity (open tickets at once), availability."""

    __tablename__ = "agents"

    user_id: Mapped[UUID] = mapped_column()
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    skills: Mapped[list[str]] = mapped_column(ARRAY(String(100)), server_default="{}")
    capacity: Mapped[int] = mapped_column(Integer)
    available: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    queue_ids: Mapped[list[UUID]] = mapped_column(ARRAY(Uuid), server_default="{}")

    __table_args__ = (
        Index("ix_agents_tenant_created", "tenant_id", "created_at", "id"),
        Index("uq_agents_tenant_user", "tenant_id", "user_id", unique=True),
    )
