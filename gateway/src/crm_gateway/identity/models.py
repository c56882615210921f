"""Tenants and their API keys. A key is stored only as a SHA-256 hash."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from crm_chassis.ids import new_id
from crm_chassis.orm import utcnow
from sqlalchemy import DateTime, ForeignKey, Index, String, func, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from crm_gateway.base import Base


class Tenant(Base):
    """A customer organisation; every record of every service belongs to one."""

    __tablename__ = "tenants"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )


class ApiKey(Base):
    """A tenant's API key: exchanged for a token at ``POST /v1/auth/token``.

    Not a versioned ``Entity``: a key never changes except ``revoked_at`` and
    ``last_used_at``, and concurrent token requests touching ``last_used_at`` must not
    conflict over a version counter.
    """

    __tablename__ = "api_keys"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16), comment="the key's first characters, shown")
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, comment="SHA-256, hex")
    roles: Mapped[list[str]] = mapped_column(
        ARRAY(String(64)), default=list, server_default=text("'{}'")
    )
    scopes: Mapped[list[str]] = mapped_column(
        ARRAY(String(128)), default=list, server_default=text("'{}'")
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_api_keys_tenant_created", "tenant_id", "created_at"),)
