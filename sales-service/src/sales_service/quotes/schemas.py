from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from crm_chassis.schemas import EntityRead, Strict
from crm_proto.money import CurrencyCode, Money
from pydantic import Field

from sales_service.common.money import Percent, Price, Quantity
from sales_service.configuration.schemas import ConfigurationIn
from sales_service.leads.schemas import EMAIL


class QuoteLineIn(Strict):
    product_id: UUID | None = None
    name: str = Field(min_length=1, max_length=255)
    quantity: Quantity
    unit_price: Price
    discount_percent: Percent = Decimal(0)
    discount_amount: Price | None = None
    tax_rate: Percent = Decimal(0)


class QuoteWrite(Strict):
    """A quote of a deal: its lines, or a configuration to price by the tenant's rules,
    or neither (the deal's line items)."""

    deal_id: UUID
    currency: CurrencyCode | None = None
    """The deal's currency when absent."""
    title: str | None = Field(None, max_length=255)
    notes: str | None = Field(None, max_length=4000)
    valid_until: date | None = None
    lines: list[QuoteLineIn] | None = Field(None, max_length=500)
    configuration: ConfigurationIn | None = None


class QuoteUpdate(Strict):
    """What a draft's PATCH may change."""

    title: str | None = Field(None, max_length=255)
    notes: str | None = Field(None, max_length=4000)
    valid_until: date | None = None
    lines: list[QuoteLineIn] = Field(max_length=500)


class QuoteRead(EntityRead):
    deal_id: UUID
    number: str
    revision: int
    title: str | None
    notes: str | None
    state: str
    currency: str
    valid_until: date | None
    lines: list[dict[str, Any]]
    subtotal: Money
    discount: Money
    tax: Money
    total: Money
    sent_at: datetime | None
    decided_at: datetime | None


class QuoteSend(Strict):
    """Whom to mail the quote to: ``to``, or else the email of the deal's contact as
    contacts-service has it."""

    to: str | None = Field(None, max_length=320, pattern=EMAIL)
