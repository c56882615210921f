from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from crm_chassis.orm import Entity, Owned
from sqlalchemy import Boolean, Computed, Date, DateTime, ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from contacts_service.base import Base


class Contact(Entity, Owned, Base):
    """A person (C2): names, several emails/phones/addresses, links, consent, membership.

    ``email`` and ``phone`` copy the primary entries of ``emails`` and ``phones``;
    ``email_keys`` and ``phone_keys`` hold every entry, normalised, for exact lookups;
    ``search_text`` feeds the full-text vector. All are derived on every write.
    """

    __tablename__ = "contacts"

    first_name: Mapped[str | None] = mapped_column(String(120))
    last_name: Mapped[str | None] = mapped_column(String(120))
    title: Mapped[str | None] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    emails: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'"))
    phones: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'"))
    addresses: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'"))
    email_keys: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    phone_keys: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    name_keys: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    """Phonetic keys of the name, for duplicate candidates (``common.names``)."""
    account_id: Mapped[UUID | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    lifecycle_stage: Mapped[str | None] = mapped_column(String(40))
    do_not_contact: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    consent: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    membership_level: Mapped[str | None] = mapped_column(String(60))
    member_since: Mapped[date | None] = mapped_column(Date)
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    custom: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    external_id: Mapped[str | None] = mapped_column(String(255))
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """Set when the person's data was erased (C10): the row stays, anonymised, so every
    reference to it still resolves."""
    search_text: Mapped[str] = mapped_column(Text, server_default=text("''"))
    search_vector: Mapped[str] = mapped_column(
        TSVECTOR, Computed("to_tsvector('simple'::regconfig, search_text)", persisted=True)
    )

    __table_args__ = (
        Index("ix_contacts_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_contacts_tenant_updated", "tenant_id", "updated_at", "id"),
        Index("ix_contacts_tenant_email", "tenant_id", "email"),
        Index("ix_contacts_tenant_last_name", "tenant_id", text("lower(last_name)"), "id"),
        # Search (C5): a lifecycle stage is the commonest segment, listed newest first or
        # by name; without these a stage + rare tag walks the sort index (0.15 s at 1M).
        Index(
            "ix_contacts_tenant_stage_created", "tenant_id", "lifecycle_stage", "created_at", "id"
        ),
        Index(
            "ix_contacts_tenant_stage_last_name",
            "tenant_id",
            "lifecycle_stage",
            text("lower(last_name)"),
            "id",
        ),
        Index("ix_contacts_account", "account_id"),
        Index("ix_contacts_tenant_owner", "tenant_id", "owner_id"),
        Index("ix_contacts_tenant_team", "tenant_id", "team_id"),
        Index("ix_contacts_email_keys", "email_keys", postgresql_using="gin"),
        Index("ix_contacts_phone_keys", "phone_keys", postgresql_using="gin"),
        Index("ix_contacts_name_keys", "name_keys", postgresql_using="gin"),
        Index("ix_contacts_tags", "tags", postgresql_using="gin"),
        Index(
            "ix_contacts_custom",
            "custom",
            postgresql_using="gin",
            postgresql_ops={"custom": "jsonb_path_ops"},
        ),
        Index("ix_contacts_search", "search_vector", postgresql_using="gin"),
        Index(
            "uq_contacts_tenant_external_id",
            "tenant_id",
            "external_id",
            unique=True,
            postgresql_where=text("external_id IS NOT NULL"),
        ),
    )
