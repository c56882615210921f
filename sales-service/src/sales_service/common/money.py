"""Money as sales-service takes it in: the chassis ``Money``, held to its currency's minor
unit wherever a price or an amount is entered (``"12.345" EUR`` is a 422, not a rounding
the client did not ask for)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

from crm_proto.money import MINOR_UNITS, Money
from pydantic import AfterValidator, BaseModel, Field

MINOR_UNIT_STEP = {code: Decimal(1).scaleb(-places) for code, places in MINOR_UNITS.items()}
"""Each currency's minor unit as a ``Decimal`` step (EUR ``0.01``, JPY ``1``)."""


def _price(value: Money) -> Money:
    """At most the currency's minor-unit decimals (``Money.is_rounded``, the step looked up
    rather than built per value: every price of an import goes through it), then not
    negative."""
    amount = value.amount
    if amount != amount.quantize(MINOR_UNIT_STEP[value.currency]):
        raise ValueError(
            f"{value.currency} takes at most {value.minor_unit} decimals, not {value.amount}"
        )
    if amount < 0:
        raise ValueError("must not be negative")
    return value


Price = Annotated[Money, AfterValidator(_price)]
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
