"""Money as sales-service takes it in: the chassis ``Money``, held to its currency's minor
unit wherever a price or an amount is entered (``"12.345" EUR`` is a 422, not a rounding
the client did not ask for)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

from crm_proto.money import Money
from pydantic import AfterValidator, BaseModel, Field


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


def keeping_money(*names: str) -> Callable[[BaseModel], dict[str, Any]]:
    """A ``Crud`` ``columns`` function: the model's fields, its Money fields ``names``
    kept as Money (the ORM's composite) rather than dumped to dicts."""

    def columns(data: BaseModel) -> dict[str, Any]:
        values = data.model_dump(mode="python", exclude=set(names))
        return values | {name: getattr(data, name) for name in names}

    return columns
