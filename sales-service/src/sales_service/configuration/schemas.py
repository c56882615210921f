from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from crm_chassis.schemas import EntityRead, Strict
from crm_proto.money import CurrencyCode, Money
from pydantic import BaseModel, Field, field_validator

from sales_service.common.money import Quantity
from sales_service.configuration.rules import RuleBody


class ConfigurationRuleWrite(Strict):
    name: str = Field(min_length=1, max_length=200)
    position: int = Field(ge=0, le=10_000)
    body: dict[str, Any]
    active: bool = True

    @field_validator("body")
    @classmethod
    def _is_a_rule(cls, value: dict[str, Any]) -> dict[str, Any]:
        return RuleBody.model_validate(value).model_dump(mode="json", by_alias=True)


class ConfigurationRuleRead(ConfigurationRuleWrite, EntityRead):
    pass


class Item(Strict):
    sku: str = Field(min_length=1, max_length=64)
    quantity: Quantity


class ConfigurationIn(Strict):
    """A selection of products to price: from ``price_book_id`` (the default book when
    absent) in ``currency``."""

    currency: CurrencyCode
    price_book_id: UUID | None = None
    items: list[Item] = Field(min_length=1, max_length=200)


class PricedLineOut(BaseModel):
    sku: str
    product_id: UUID
    name: str
    quantity: Decimal
    unit_price: Money
    discount_percent: Decimal
    net: Money


class FiredOut(BaseModel):
    rule: str
    branch: str
    why: str
    effects: list[str]


class PricedConfiguration(BaseModel):
    currency: str
    lines: list[PricedLineOut]
    adjustments: list[dict[str, Any]]
    total: Money
    fired: list[FiredOut]
    warnings: list[dict[str, str]]
