from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from crm_chassis.money import money_column
from crm_chassis.orm import Entity
from crm_proto.money import Money
from sqlalchemy import CHAR, Date, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sales_service.base import Base

STATES = ("draft", "sent", "accepted", "rejected", "expired")


class Quote(Entity, Base):
    """A priced offer (S8); ``number`` is shared by its revisions, each a row of its own.

    ``lines`` keeps the lines as entered with their computed totals, so the document
    shows exactly what the customer was offered.
    """

    __tablename__ = "quotes"

    deal_id: Mapped[UUID] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(40))
    revision: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    title: Mapped[str | None] = mapped_column(String(255))
    notes: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), server_default=text("'draft'"))
    currency: Mapped[str] = mapped_column(CHAR(3))
    valid_until: Mapped[date | None] = mapped_column(Date)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'"))
    subtotal: Mapped[Money] = money_column("subtotal")
    discount: Mapped[Money] = money_column("discount")
    tax: Mapped[Money] = money_column("tax")
    total: Mapped[Money] = money_column("total")
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("uq_quotes_tenant_number_revision", "tenant_id", "number", "revision", unique=True),
        Index("ix_quotes_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_quotes_tenant_deal", "tenant_id", "deal_id"),
    )
