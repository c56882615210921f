from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from crm_chassis.money import money_column
from crm_chassis.orm import Entity, Owned
from crm_proto.money import Money
from sqlalchemy import Computed, DateTime, ForeignKey, Index, Integer, String, text
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from sales_service.base import Base

STATUSES = ("new", "working", "qualified", "disqualified", "converted")

_SEARCHABLE = (
    "coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' || "
    "coalesce(company, '') || ' ' || coalesce(email, '') || ' ' || coalesce(title, '')"
)


class Lead(Entity, Owned, Base):
    """A prospect not yet qualified into an account, a contact and a deal (S1)."""

    __tablename__ = "leads"

    first_name: Mapped[str | None] = mapped_column(String(120))
    last_name: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    company: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(500))
    country: Mapped[str | None] = mapped_column(String(2))
    territory: Mapped[str | None] = mapped_column(String(60))
    source: Mapped[str | None] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20), server_default=text("'new'"))
    rating: Mapped[str | None] = mapped_column(String(10))
    estimated_value: Mapped[Money | None] = money_column("estimated_value", nullable=True)
    qualification: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    disqualified_reason: Mapped[str | None] = mapped_column(String(500))
    custom: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    web_form_id: Mapped[UUID | None] = mapped_column()
    assignment: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    converted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    converted_account_id: Mapped[UUID | None] = mapped_column()
    converted_contact_id: Mapped[UUID | None] = mapped_column()
    converted_deal_id: Mapped[UUID | None] = mapped_column()
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    search_vector: Mapped[Any] = mapped_column(
        TSVECTOR, Computed(f"to_tsvector('simple', {_SEARCHABLE})", persisted=True)
    )

    __table_args__ = (
        Index("ix_leads_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_leads_tenant_status", "tenant_id", "status", "created_at"),
        Index("ix_leads_tenant_email", "tenant_id", "email"),
        Index("ix_leads_custom", "custom", postgresql_using="gin"),
        Index("ix_leads_search_vector", "search_vector", postgresql_using="gin"),
        Index("ix_leads_converted_contact", "tenant_id", "converted_contact_id"),
    )


class WebForm(Entity, Base):
    """A public form that captures leads: its key is in the page, no token needed."""

    __tablename__ = "web_forms"

    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(60), server_default=text("'web_form'"))
    per_minute: Mapped[int] = mapped_column(Integer, server_default=text("30"))
    honeypot: Mapped[str] = mapped_column(String(60), server_default=text("'website_url'"))

    __table_args__ = (
        Index("uq_web_forms_key", "key", unique=True),
        Index("ix_web_forms_tenant_created", "tenant_id", "created_at", "id"),
    )


class WebFormHits(Base):
    """Submissions per form per minute: a rate limit every replica shares."""

    __tablename__ = "web_form_hits"

    form_id: Mapped[UUID] = mapped_column(
        ForeignKey("web_forms.id", ondelete="CASCADE"), primary_key=True
    )
    minute: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)


class LeadField(Entity, Base):
    """A tenant's custom field of leads: its key in ``custom``, its kind and options."""

    __tablename__ = "lead_fields"

    key: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    options: Mapped[list[str]] = mapped_column(JSONB, server_default=text("'[]'"))

    __table_args__ = (
        Index("uq_lead_fields_tenant_key", "tenant_id", "key", unique=True),
        Index("ix_lead_fields_tenant_created", "tenant_id", "created_at", "id"),
    )
