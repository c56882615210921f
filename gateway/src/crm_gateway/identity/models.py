"""Tenants, users, teams, roles, API keys and refresh tokens.

Secrets are stored only as hashes: API keys and refresh tokens as SHA-256 (they carry 256
random bits), passwords with argon2.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from crm_chassis.ids import new_id
from crm_chassis.orm import Entity, utcnow
from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, Uuid, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
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
    allow_private_webhooks: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false"),
        comment="the operator lets webhooks of this tenant target private addresses",
    )  # fmt: skip
    cors_origins: Mapped[list[str]] = mapped_column(
        ARRAY(String(300)), default=list, server_default=text("'{}'")
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
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_api_keys_tenant_created", "tenant_id", "created_at"),)


class User(Base):
    """A person who logs in with an email and a password (argon2), optionally with TOTP."""

    __tablename__ = "users"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(
        ARRAY(String(64)), default=list, server_default=text("'{}'")
    )
    team_ids: Mapped[list[UUID]] = mapped_column(
        ARRAY(Uuid), default=list, server_default=text("'{}'")
    )
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_pending: Mapped[str | None] = mapped_column(
        String(64), comment="a secret being enrolled: active once a code of it is confirmed"
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        # Emails are unique across tenants: login names the email only.
        Index("uq_users_email", func.lower(email), unique=True),
        Index("ix_users_tenant_created", "tenant_id", "created_at"),
    )

    @property
    def totp_enabled(self) -> bool:
        return self.totp_secret is not None


class RefreshToken(Base):
    """One refresh token of a login. Each use rotates it: the token is marked used and a
    new one of the same ``family_id`` issued; presenting a used token again revokes the
    whole family (RFC 9700 4.14.2: a stolen token is detected by its reuse)."""

    __tablename__ = "refresh_tokens"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    family_id: Mapped[UUID] = mapped_column(index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, comment="SHA-256, hex")
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Team(Entity, Base):
    """A group of users; ``team`` visibility shows its members' records to each other."""

    __tablename__ = "teams"

    name: Mapped[str] = mapped_column(String(200))

    __table_args__ = (
        Index("ix_teams_tenant_created", "tenant_id", "created_at", "id"),
        Index("uq_teams_tenant_name", "tenant_id", "name", unique=True),
    )


class Role(Entity, Base):
    """A tenant-defined role, beside the built-in ones of :mod:`crm_gateway.identity.roles`."""

    __tablename__ = "roles"

    name: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(
        ARRAY(String(128)), default=list, server_default=text("'{}'")
    )
    visibility: Mapped[str] = mapped_column(String(8), server_default=text("'own'"))
    fields: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )

    __table_args__ = (
        Index("ix_roles_tenant_created", "tenant_id", "created_at", "id"),
        Index("uq_roles_tenant_name", "tenant_id", "name", unique=True),
    )
