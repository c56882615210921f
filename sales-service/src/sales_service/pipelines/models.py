from __future__ import annotations

from crm_chassis.orm import Entity, Owned
from sqlalchemy import Boolean, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from sales_service.base import Base


class Pipeline(Entity, Owned, Base):
    """A sales process deals move through (S4); its stages arrive with the deals issue."""

    __tablename__ = "pipelines"

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    is_default: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))

    __table_args__ = (
        Index("ix_pipelines_tenant_created", "tenant_id", "created_at", "id"),
        Index("uq_pipelines_tenant_name", "tenant_id", "name", unique=True),
    )
