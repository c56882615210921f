from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from crm_chassis.schemas import EntityRead, Strict
from crm_proto.money import CurrencyCode, Money
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sales_service.common.money import Price, Quantity

ChannelLevel = Literal["direct", "1-level", "2-level", "3-level"]
MAX_BATCH = 1000


class OrderLineIn(Strict):
    sku: str | None = Field(None, max_length=64)
    name: str = Field(min_length=1, max_length=255)
    quantity: Quantity
    unit_price: Price


class OrderImportItem(Strict):
    """One order from a shop or an ERP; ``external_id`` makes a re-sent order a no-op."""

    external_id: str = Field(min_length=1, max_length=255)
    account_id: UUID
    currency: CurrencyCode
    lines: list[OrderLineIn] = Field(min_length=1, max_length=200)
    channel_level: ChannelLevel = "direct"
    partner_id: UUID | None = None
    ordered_at: datetime | None = None

    @model_validator(mode="after")
    def _one_currency(self) -> OrderImportItem:
        for line in self.lines:
            if line.unit_price.currency != self.currency:
                raise ValueError(f"every line is priced in {self.currency}")
        if self.channel_level != "direct" and self.partner_id is None:
            raise ValueError("an indirect order names its partner_id")
        return self


class OrderBatch(BaseModel):
    """An import's body, ``{"items": [...]}`` (other keys ignored), as it is validated in
    one pass when every item in it is valid."""

    items: list[OrderImportItem] = Field(max_length=MAX_BATCH)


class OrderRead(EntityRead):
    account_id: UUID | None
    deal_id: UUID | None
    quote_id: UUID | None
    partner_id: UUID | None
    external_id: str | None
    source: str
    channel_level: str
    total: Money
    lines: list[dict[str, Any]]
    ordered_at: datetime


class ItemResult(BaseModel):
    index: int
    status: Literal["created", "existing", "invalid"]
    id: UUID | None = None
    external_id: str | None = None
    errors: list[dict[str, str]] | None = None


class ImportResult(BaseModel):
    data: list[ItemResult]


class LedgerEntryIn(Strict):
    """A payment, a credit note, a debit note, or a correction of an earlier entry
    (``corrects_id``; a correction's amount may be negative)."""

    kind: Literal["payment", "credit_note", "debit_note", "correction"]
    amount: Money
    reference: str | None = Field(None, max_length=255)
    corrects_id: UUID | None = None

    @model_validator(mode="after")
    def _signed_only_for_corrections(self) -> LedgerEntryIn:
        if not self.amount.is_rounded():
            raise ValueError(f"{self.amount.currency} takes {self.amount.minor_unit} decimals")
        if self.kind == "correction" and self.corrects_id is None:
            raise ValueError("a correction names the entry it corrects (corrects_id)")
        if self.kind != "correction" and self.amount.amount <= 0:
            raise ValueError("the amount is positive (a correction carries a sign)")
        return self


class LedgerEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    kind: str
    currency: str
    debit: str
    credit: str
    balance: str
    order_id: UUID | None
    corrects_id: UUID | None
    reference: str | None
    created_at: datetime
