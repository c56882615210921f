"""The local read models of contacts-service's and sales-service's records (M1, M5, M7).

``contacts`` is a chassis projection (key, ``sequence``, ``deleted``) with the attributes
segments, scoring, consent and personalisation read; ``score`` is marketing's own column,
never written by the projection's upserts. ``list_members`` and ``deals`` are what the
audience of a list campaign and the deal rules of segments need.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from crm_chassis.orm import Owned
from sqlalchemy import BigInteger, Boolean, DateTime, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from marketing_service.base import Base


class ProjectedContact(Owned, Base):
    """A contact as marketing knows it from ``crm.contacts.*`` events."""

    __tablename__ = "contacts"

    tenant_id: Mapped[UUID] = mapped_column(primary_key=True)
    id: Mapped[UUID] = mapped_column(primary_key=True)
    sequence: Mapped[int] = mapped_column(BigInteger, comment="the aggregate version applied")
    deleted: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    erased: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    merged_into: Mapped[UUID | None]
    email: Mapped[str | None] = mapped_column(String(320))
    first_name: Mapped[str | None] = mapped_column(String(200))
    last_name: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(200))
    lifecycle_stage: Mapped[str | None] = mapped_column(String(40))
    account_id: Mapped[UUID | None]
    country: Mapped[str | None] = mapped_column(String(100))
    city: Mapped[str | None] = mapped_column(String(200))
    membership_level: Mapped[str | None] = mapped_column(String(100))
    do_not_contact: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    consent: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    custom: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    contact_created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    score: Mapped[int] = mapped_column(Integer, server_default=text("0"))

    __table_args__ = (
        Index("ix_contacts_tenant_email", "tenant_id", "email"),
        Index("ix_contacts_tags", "tags", postgresql_using="gin"),
        Index("ix_contacts_custom", "custom", postgresql_using="gin"),
    )


class ListMember(Base):
    """A contact's place in a static list of contacts-service (a campaign's audience)."""

    __tablename__ = "list_members"

    tenant_id: Mapped[UUID] = mapped_column(primary_key=True)
    list_id: Mapped[UUID] = mapped_column(primary_key=True)
    contact_id: Mapped[UUID] = mapped_column(primary_key=True)


class ProjectedDeal(Base):
    """A deal of sales-service, for the deal rules of segments ("has an open deal")."""

    __tablename__ = "deals"

    tenant_id: Mapped[UUID] = mapped_column(primary_key=True)
    id: Mapped[UUID] = mapped_column(primary_key=True)
    contact_id: Mapped[UUID | None]
    stage: Mapped[str | None] = mapped_column(String(100))
    won: Mapped[bool | None] = mapped_column(comment="true won, false lost, null open")
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_deals_tenant_contact", "tenant_id", "contact_id"),)


class ProjectedOrder(Base):
    """An order of sales-service, for the order rules of segments ("last order more than
    90 days ago"): an order is the account's, and its deal's contact's when it has one."""

    __tablename__ = "orders"

    tenant_id: Mapped[UUID] = mapped_column(primary_key=True)
    id: Mapped[UUID] = mapped_column(primary_key=True)
    account_id: Mapped[UUID | None]
    contact_id: Mapped[UUID | None]
    ordered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_orders_tenant_account", "tenant_id", "account_id", "ordered_at"),
        Index("ix_orders_tenant_contact", "tenant_id", "contact_id", "ordered_at"),
    )
