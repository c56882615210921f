"""Money as sales-service takes it in: the chassis ``Money``, held to its currency's minor
unit wherever a price or an amount is entered (``"12.345" EUR`` is a 422, not a rounding
the client did not ask for)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from crm_proto.money import Money
from pydantic import AfterValidator, Field


def _at_minor_unit(value: Money) -> Money:
    if not value.is_rounded():
        raise ValueError(
            f"{value.currency} takes at most {value.minor_unit} decimals, not {value.amount}"
        )
    return value


def _not_negative(value: Money) -> Money:
    if value.amount < 0:
        raise ValueError("must not be negative")
    return value


Price = Annotated[Money, AfterValidator(_at_minor_unit), AfterValidator(_not_negative)]
"""A non-negative amount written with at most its currency's minor-unit decimals."""

Quantity = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=4)]
"""A positive quantity (fractions allowed: hours, kilograms)."""

Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=7, decimal_places=4)]
"""A percentage between 0 and 100."""


def money_or_none(amount: Decimal | None, currency: str | None) -> Money | None:
    return None if amount is None or currency is None else Money.of(amount, currency)
