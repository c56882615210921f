from __future__ import annotations

from datetime import datetime
from uuid import UUID

from crm_chassis.orm import Entity, utcnow
from sqlalchemy import DateTime, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from contacts_service.base import Base


class StaticList(Entity, Base):
    """A named, hand-curated list of contacts or accounts (C4)."""

    __tablename__ = "lists"

    name: Mapped[str] = mapped_column(String(200))
    object_type: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("uq_lists_tenant_name", "tenant_id", "object_type", "name", unique=True),
    )


class ListMember(Base):
    __tablename__ = "list_members"

    list_id: Mapped[UUID] = mapped_column(
        ForeignKey("lists.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID]
    added_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=text("now()")
    )

    __table_args__ = (Index("ix_list_members_member", "member_id"),)
