from __future__ import annotations

from uuid import UUID

from crm_chassis.orm import Entity
from sqlalchemy import BigInteger, CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from contacts_service.base import Base


class Attachment(Entity, Base):
    """A document attached to one contact or one account (C9); its bytes are in the
    object store under ``storage_key``, never in the database."""

    __tablename__ = "attachments"

    contact_id: Mapped[UUID | None]
    account_id: Mapped[UUID | None]
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))
    uploaded_by: Mapped[UUID]

    __table_args__ = (
        CheckConstraint("(contact_id IS NULL) <> (account_id IS NULL)", name="one_parent"),
        Index("ix_attachments_tenant_contact", "tenant_id", "contact_id", "created_at", "id"),
        Index("ix_attachments_tenant_account", "tenant_id", "account_id", "created_at", "id"),
    )
