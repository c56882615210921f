from __future__ import annotations

from uuid import UUID

from crm_chassis.orm import Entity
from sqlalchemy import CheckConstraint, Index, Text, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from contacts_service.base import Base


class Note(Entity, Base):
    """A markdown note on a contact and/or an account (C9), with the users it mentions.

    No foreign keys to contacts/accounts: merge re-points these columns through the
    reference registry, and a deleted record's notes are removed by the cleanup consumer.
    """

    __tablename__ = "notes"

    contact_id: Mapped[UUID | None]
    account_id: Mapped[UUID | None]
    author_id: Mapped[UUID]
    body: Mapped[str] = mapped_column(Text)
    mentions: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))

    __table_args__ = (
        CheckConstraint("contact_id IS NOT NULL OR account_id IS NOT NULL", name="has_parent"),
        Index("ix_notes_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_notes_tenant_contact", "tenant_id", "contact_id", "created_at", "id"),
        Index("ix_notes_tenant_account", "tenant_id", "account_id", "created_at", "id"),
        Index("ix_notes_mentions", "mentions", postgresql_using="gin"),
    )
