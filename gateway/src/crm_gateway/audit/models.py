"""The audit log: one row per write request through the gateway."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from crm_chassis.ids import new_id
from sqlalchemy import DateTime, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_gateway.base import Base


class AuditEntry(Base):
    """Who (tenant, user or key) did what (method, path, resource) with what outcome."""

    __tablename__ = "audit_log"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[UUID | None] = mapped_column(comment="null: no valid token")
    actor_id: Mapped[UUID | None]
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(2048))
    resource: Mapped[str | None] = mapped_column(String(100), comment="first path segment")
    resource_id: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[int] = mapped_column(SmallInteger)
    duration_ms: Mapped[int] = mapped_column(Integer)
    request_id: Mapped[str | None] = mapped_column(String(200))
    client: Mapped[str | None] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_audit_log_tenant_at", "tenant_id", "at", "id"),)
