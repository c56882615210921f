from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from crm_chassis.money import money_column
from crm_chassis.orm import Entity, Owned, utcnow
from crm_proto.money import Money
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from sales_service.base import Base


class Deal(Entity, Owned, Base):
    """An opportunity (S5) moving through a pipeline's stages."""

    __tablename__ = "deals"

    name: Mapped[str] = mapped_column(String(255))
    pipeline_id: Mapped[UUID] = mapped_column(ForeignKey("pipelines.id"))
    stage_id: Mapped[UUID] = mapped_column(ForeignKey("stages.id"))
    amount: Mapped[Money | None] = money_column("amount", nullable=True)
    expected_close_date: Mapped[date | None] = mapped_column(Date)
    account_id: Mapped[UUID | None] = mapped_column()
    contact_id: Mapped[UUID | None] = mapped_column()
    lead_id: Mapped[UUID | None] = mapped_column()
    partner_id: Mapped[UUID | None] = mapped_column()
    probability: Mapped[int] = mapped_column(Integer)
    forecast_category: Mapped[str] = mapped_column(String(20))
    won: Mapped[bool | None] = mapped_column(Boolean)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    stage_entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    idle_since: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    rotting_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_deals_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_deals_tenant_stage", "tenant_id", "stage_id"),
        Index("ix_deals_tenant_contact", "tenant_id", "contact_id"),
        Index("ix_deals_tenant_account", "tenant_id", "account_id"),
        Index(
            "ix_deals_forecast",
            "tenant_id",
            "expected_close_date",
            "owner_id",
            "forecast_category",
            "amount_currency",
            "probability",
            "amount_amount",
        ),
    )


class DealStageChange(Base):
    """One move of a deal between stages: who and when (kept, never edited)."""

    __tablename__ = "deal_stage_history"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column()
    deal_id: Mapped[UUID] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    from_stage_id: Mapped[UUID | None] = mapped_column()
    to_stage_id: Mapped[UUID] = mapped_column()
    changed_by: Mapped[UUID] = mapped_column()
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_deal_stage_history_deal", "tenant_id", "deal_id", "changed_at"),)


class DealContact(Base):
    """A contact of a deal, with their role (decision maker, champion...)."""

    __tablename__ = "deal_contacts"

    tenant_id: Mapped[UUID] = mapped_column()
    deal_id: Mapped[UUID] = mapped_column(
        ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[UUID] = mapped_column(primary_key=True)
    role: Mapped[str | None] = mapped_column(String(60))

    __table_args__ = (Index("ix_deal_contacts_contact", "tenant_id", "contact_id"),)


class DealLineItem(Base):
    """A product on a deal; an accepted quote replaces them with its lines."""

    __tablename__ = "deal_line_items"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column()
    deal_id: Mapped[UUID] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[UUID | None] = mapped_column()
    name: Mapped[str] = mapped_column(String(255))
    quantity: Mapped[Decimal] = mapped_column(Numeric(16, 4))
    unit_price: Mapped[Money] = money_column("unit_price")
    discount_percent: Mapped[Decimal] = mapped_column(Numeric(7, 4), default=Decimal(0))
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(7, 4), default=Decimal(0))

    __table_args__ = (Index("ix_deal_line_items_deal", "tenant_id", "deal_id", "position"),)
