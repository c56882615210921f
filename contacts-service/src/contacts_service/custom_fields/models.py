from __future__ import annotations

from crm_chassis.orm import Entity
from sqlalchemy import Boolean, Index, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from contacts_service.base import Base


class CustomField(Entity, Base):
    """A tenant's typed field on contacts or accounts (C3)."""

    __tablename__ = "custom_fields"

    object_type: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(63))
    label: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    options: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    required: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    description: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("uq_custom_fields_tenant_key", "tenant_id", "object_type", "key", unique=True),
    )
