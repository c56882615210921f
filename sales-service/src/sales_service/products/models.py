from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from crm_chassis.money import Amount
from crm_chassis.orm import Entity
from sqlalchemy import CHAR, Boolean, Date, ForeignKey, Index, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from sales_service.base import Base


class Product(Entity, Base):
    """A catalogue item (S6) with its SKU."""

    __tablename__ = "products"

    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))

    __table_args__ = (
        Index("uq_products_tenant_sku", "tenant_id", "sku", unique=True),
        Index("ix_products_tenant_created", "tenant_id", "created_at", "id"),
    )


class PriceBook(Entity, Base):
    """A set of list prices (per currency) for the products: standard, partner, EMEA..."""

    __tablename__ = "price_books"

    name: Mapped[str] = mapped_column(String(200))
    is_default: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))

    __table_args__ = (
        Index("uq_price_books_tenant_name", "tenant_id", "name", unique=True),
        Index("ix_price_books_tenant_created", "tenant_id", "created_at", "id"),
    )


class PriceBookEntry(Base):
    """A product's list price in one price book and currency."""

    __tablename__ = "price_book_entries"

    tenant_id: Mapped[UUID] = mapped_column()
    price_book_id: Mapped[UUID] = mapped_column(
        ForeignKey("price_books.id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[UUID] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    currency: Mapped[str] = mapped_column(CHAR(3), primary_key=True)
    unit_price: Mapped[Decimal] = mapped_column(Amount())


class ExchangeRate(Base):
    """1 ``currency`` = ``rate`` ``reporting_currency`` from ``valid_from`` on."""

    __tablename__ = "exchange_rates"

    tenant_id: Mapped[UUID] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(CHAR(3), primary_key=True)
    reporting_currency: Mapped[str] = mapped_column(CHAR(3), primary_key=True)
    valid_from: Mapped[date] = mapped_column(Date, primary_key=True)
    rate: Mapped[Decimal] = mapped_column(Numeric(20, 10))
