from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from crm_chassis.schemas import EntityRead, Strict
from crm_proto.money import CurrencyCode, Money
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sales_service.common.money import Price


class ProductWrite(Strict):
    sku: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._\-/]+$")
    name: str = Field(min_length=1, max_length=255)
    description: str | None = Field(None, max_length=4000)
    active: bool = True


class ProductRead(ProductWrite, EntityRead):
    pass


class PriceBookWrite(Strict):
    name: str = Field(min_length=1, max_length=200)
    is_default: bool = False


class PriceBookRead(PriceBookWrite, EntityRead):
    pass


class PriceIn(Strict):
    product_id: UUID
    unit_price: Price


class PriceRead(BaseModel):
    product_id: UUID
    unit_price: Money


class RateIn(Strict):
    """1 ``currency`` = ``rate`` ``reporting_currency``, from ``valid_from`` on."""

    currency: CurrencyCode
    reporting_currency: CurrencyCode
    valid_from: date
    rate: Decimal = Field(gt=0, max_digits=20, decimal_places=10)

    @model_validator(mode="after")
    def _two_currencies(self) -> RateIn:
        if self.currency == self.reporting_currency:
            raise ValueError("a rate converts between two currencies")
        return self


class RateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    currency: str
    reporting_currency: str
    valid_from: date
    rate: Decimal
