from __future__ import annotations

from typing import Any

from crm_chassis.orm import Entity
from sqlalchemy import Boolean, Index, Integer, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sales_service.base import Base


class ConfigurationRule(Entity, Base):
    """A tenant's if-then-else rule over product configurations (S7), as JSON data."""

    __tablename__ = "configuration_rules"

    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JSONB)
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))

    __table_args__ = (
        Index("uq_configuration_rules_tenant_name", "tenant_id", "name", unique=True),
        Index("ix_configuration_rules_tenant_created", "tenant_id", "created_at", "id"),
    )
