from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from crm_chassis.money import Amount, money_column
from crm_chassis.orm import Entity, utcnow
from crm_proto.money import Money
from sqlalchemy import CHAR, BigInteger, DateTime, Identity, Index, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sales_service.base import Base

CHANNEL_LEVELS = ("direct", "1-level", "2-level", "3-level")


class Order(Entity, Base):
    """A customer's order (S9): from an accepted quote, or imported from a shop or ERP."""

    __tablename__ = "orders"

    account_id: Mapped[UUID | None] = mapped_column()
    deal_id: Mapped[UUID | None] = mapped_column()
    quote_id: Mapped[UUID | None] = mapped_column()
    partner_id: Mapped[UUID | None] = mapped_column()
    external_id: Mapped[str | None] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(20))
    channel_level: Mapped[str] = mapped_column(String(10), server_default=text("'direct'"))
    total: Mapped[Money] = money_column("total")
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'"))
    ordered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        Index("uq_orders_tenant_external_id", "tenant_id", "external_id", unique=True),
        Index("ix_orders_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_orders_tenant_account", "tenant_id", "account_id"),
    )


class LedgerEntry(Base):
    """One debit or credit on an account's ledger; never edited, corrected by new entries.

    ``balance`` is the running balance of the account in that currency after this entry
    (debits raise it: what the customer owes).
    """

    __tablename__ = "ledger_entries"

    position: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    id: Mapped[UUID] = mapped_column(unique=True)
    tenant_id: Mapped[UUID] = mapped_column()
    account_id: Mapped[UUID] = mapped_column()
    kind: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(CHAR(3))
    debit: Mapped[Decimal] = mapped_column(Amount(), server_default=text("0"))
    credit: Mapped[Decimal] = mapped_column(Amount(), server_default=text("0"))
    balance: Mapped[Decimal] = mapped_column(Amount())
    order_id: Mapped[UUID | None] = mapped_column()
    corrects_id: Mapped[UUID | None] = mapped_column()
    reference: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        Index("ix_ledger_entries_account", "tenant_id", "account_id", "currency", "position"),
    )


class AccountBalance(Base):
    """The current balance per account and currency: the row a new entry locks."""

    __tablename__ = "account_balances"

    tenant_id: Mapped[UUID] = mapped_column(primary_key=True)
    account_id: Mapped[UUID] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(CHAR(3), primary_key=True)
    balance: Mapped[Decimal] = mapped_column(Amount())
