from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.orm import Entity, Owned
from sqlalchemy import Computed, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from contacts_service.base import Base


class Account(Entity, Owned, Base):
    """A company or organisation (C1), optionally part of a parent account."""

    __tablename__ = "accounts"

    name: Mapped[str] = mapped_column(String(255))
    domain: Mapped[str | None] = mapped_column(String(255))
    industry: Mapped[str | None] = mapped_column(String(120))
    type: Mapped[str | None] = mapped_column(String(40))
    employees: Mapped[int | None] = mapped_column(Integer)
    website: Mapped[str | None] = mapped_column(String(500))
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    parent_id: Mapped[UUID | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    custom: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    external_id: Mapped[str | None] = mapped_column(String(255))
    search_text: Mapped[str] = mapped_column(Text, server_default=text("''"))
    search_vector: Mapped[str] = mapped_column(
        TSVECTOR, Computed("to_tsvector('simple'::regconfig, search_text)", persisted=True)
    )

    __table_args__ = (
        Index("ix_accounts_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_accounts_tenant_name", "tenant_id", text("lower(name)"), "id"),
        Index("ix_accounts_tenant_domain", "tenant_id", "domain"),
        Index("ix_accounts_parent", "parent_id"),
        Index("ix_accounts_tenant_owner", "tenant_id", "owner_id"),
        Index("ix_accounts_tenant_team", "tenant_id", "team_id"),
        Index("ix_accounts_tags", "tags", postgresql_using="gin"),
        Index(
            "ix_accounts_custom",
            "custom",
            postgresql_using="gin",
            postgresql_ops={"custom": "jsonb_path_ops"},
        ),
        Index("ix_accounts_search", "search_vector", postgresql_using="gin"),
        Index(
            "uq_accounts_tenant_external_id",
            "tenant_id",
            "external_id",
            unique=True,
            postgresql_where=text("external_id IS NOT NULL"),
        ),
    )
