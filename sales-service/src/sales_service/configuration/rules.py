"""Configuration rules (S7) as data: the JSON a tenant saves, validated when saved.

A rule is ``if`` (every condition holds) ``then`` actions ``else`` actions. Conditions
look at the selection (a product selected or not, its quantity); actions select
(``requires``, ``excludes``), validate (``message``) or price (``bundle_price``,
``volume_tiers``, ``discount``). Nothing a user writes is ever executed as code.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sales_service.common.money import Percent, Price, Quantity


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Sku = Annotated[str, Field(min_length=1, max_length=64)]


class Condition(_Data):
    sku: Sku
    operator: Literal["selected", "not_selected", "quantity_gte", "quantity_lte"]
    value: Decimal | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _quantity_needs_a_value(self) -> Condition:
        if self.operator.startswith("quantity") and self.value is None:
            raise ValueError(f"{self.operator} needs a value")
        return self


class Requires(_Data):
    type: Literal["requires"]
    sku: Sku


class Excludes(_Data):
    type: Literal["excludes"]
    sku: Sku


class Message(_Data):
    type: Literal["message"]
    level: Literal["error", "warning", "info"] = "info"
    text: str = Field(min_length=1, max_length=500)


class BundlePrice(_Data):
    type: Literal["bundle_price"]
    skus: list[Sku] = Field(min_length=2, max_length=20)
    price: Price


class Tier(_Data):
    min_quantity: Quantity
    unit_price: Price


class VolumeTiers(_Data):
    type: Literal["volume_tiers"]
    sku: Sku
    tiers: list[Tier] = Field(min_length=1, max_length=20)


class Discount(_Data):
    type: Literal["discount"]
    percent: Percent
    sku: Sku | None = None
    """The product discounted; the whole configuration when absent."""


Action = Annotated[
    Requires | Excludes | Message | BundlePrice | VolumeTiers | Discount,
    Field(discriminator="type"),
]


class RuleBody(_Data):
    """What a configuration rule says, as saved (``if``/``then``/``else``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    if_: list[Condition] = Field(default_factory=list, alias="if", max_length=20)
    then: list[Action] = Field(default_factory=list, max_length=20)
    else_: list[Action] = Field(default_factory=list, alias="else", max_length=20)

    @model_validator(mode="after")
    def _does_something(self) -> RuleBody:
        if not self.then and not self.else_:
            raise ValueError("a rule needs a then or an else action")
        return self
