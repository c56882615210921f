"""Money on the wire: ``{"amount": "12.30", "currency": "EUR"}``.

The amount is a :class:`~decimal.Decimal` carried as a JSON *string*, never a number: a
JSON number is a binary float in most clients (``0.1 + 0.2``), so a float is refused with
a validation error, in JSON and in Python alike. In JSON a number of any kind is refused
(the schema says string, and a JavaScript client's "integer" may be a float); in Python an
``int`` is accepted, since it is exact. An amount has at most :data:`MAX_INTEGER_DIGITS`
digits before the point and :data:`MAX_SCALE` after it, so every valid amount fits the
chassis column (``NUMERIC(19, 4)``) exactly; no exponent, no NaN, no infinity.

The currency is an active ISO 4217 code with minor units, from the maintained ``iso4217``
package (updated with each amendment of the standard): EUR 2, JPY 0, BHD 3, CLF 4. Codes
without minor units (gold ``XAU``, ``XDR``, the testing code ``XTS``...) are refused: they
are not amounts a CRM records.

Rounding is explicit: :meth:`Money.rounded` to the currency's minor unit (half-even by
default). Arithmetic (``+``, ``-``, comparisons) is defined only between amounts of the
same currency and raises :class:`CurrencyMismatch` otherwise; multiplying by an ``int``
or a ``Decimal`` is exact (:meth:`Money.times` rounds the product to the minor unit).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import total_ordering
from typing import Annotated, Any

from iso4217 import Currency
from pydantic import (
    BaseModel,
    ConfigDict,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
)
from pydantic.functional_validators import AfterValidator, BeforeValidator

MAX_SCALE = 4
MAX_INTEGER_DIGITS = 15
AMOUNT_PATTERN = rf"^-?[0-9]{{1,{MAX_INTEGER_DIGITS}}}(\.[0-9]{{1,{MAX_SCALE}}})?$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"
_AMOUNT = re.compile(AMOUNT_PATTERN)

MINOR_UNITS: dict[str, int] = {
    c.code: c.exponent for c in Currency if c.exponent is not None and c.code != "XTS"
}
"""Each accepted ISO 4217 code and its number of minor-unit digits (EUR 2, JPY 0)."""


class CurrencyMismatch(ValueError):
    """Arithmetic or comparison between amounts of two currencies."""


def _amount(value: Any, info: ValidationInfo) -> Decimal:
    if isinstance(value, bool | float):
        raise ValueError('must be a decimal string like "12.30", not a float (floats are inexact)')
    if isinstance(value, int) and info.mode == "python":
        value = Decimal(value)
    if isinstance(value, Decimal):
        text = format(value, "f") if value.is_finite() else "nan"
    elif isinstance(value, str):
        text = value
    else:
        raise ValueError('must be a decimal string like "12.30", not a JSON number')
    if not _AMOUNT.match(text):
        raise ValueError(
            f'must be a decimal string like "12.30": at most {MAX_INTEGER_DIGITS} digits'
            f" before the point and {MAX_SCALE} after it, no exponent"
        )
    return Decimal(text)


def _currency(value: str) -> str:
    if value not in MINOR_UNITS:
        raise ValueError("must be an active ISO 4217 currency code like EUR or JPY")
    return value


Amount = Annotated[
    Decimal,
    BeforeValidator(_amount),
    PlainSerializer(lambda d: format(d, "f"), return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": AMOUNT_PATTERN,
            "description": "A decimal amount as a string; never a JSON number",
            "examples": ["12.30"],
        }
    ),
]
"""A decimal amount carried as a JSON string (see the module docstring)."""

CurrencyCode = Annotated[
    str,
    AfterValidator(_currency),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": CURRENCY_PATTERN,
            "description": "An active ISO 4217 currency code",
            "examples": ["EUR"],
        }
    ),
]


@total_ordering
class Money(BaseModel):
    """An amount in one currency; immutable, compared and added within a currency."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)

    amount: Amount
    currency: CurrencyCode

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Money:
        """``Money.of("12.30", "EUR")``: a validated value."""
        return cls(amount=amount, currency=currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls.of(0, currency)

    @property
    def minor_unit(self) -> int:
        """The number of decimals of the currency (EUR 2, JPY 0, BHD 3)."""
        return MINOR_UNITS[self.currency]

    def rounded(self, mode: str = ROUND_HALF_EVEN) -> Money:
        """The amount rounded to the currency's minor unit with ``mode`` (a
        :mod:`decimal` rounding constant)."""
        return self._with(_quantize(self.amount, self.minor_unit, mode))

    def is_rounded(self) -> bool:
        """True when the amount has no digits below the currency's minor unit."""
        return self.amount == _quantize(self.amount, self.minor_unit, ROUND_HALF_EVEN)

    def times(self, factor: Decimal | int, mode: str = ROUND_HALF_EVEN) -> Money:
        """``self * factor`` rounded to the minor unit (a price times a rate)."""
        return self._with(_quantize(self.amount * _factor(factor), self.minor_unit, mode))

    def _with(self, amount: Decimal) -> Money:
        return Money.of(amount, self.currency)

    def _same(self, other: Any) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency} do not mix")
        return other

    def __composite_values__(self) -> tuple[Decimal, str]:
        """(amount, currency): the columns a SQLAlchemy composite stores it in."""
        return self.amount, self.currency

    def __add__(self, other: Money) -> Money:
        return self._with(self.amount + self._same(other).amount)

    def __radd__(self, other: Any) -> Money:
        # sum() starts from 0.
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self
        return self._same(other) + self

    def __sub__(self, other: Money) -> Money:
        return self._with(self.amount - self._same(other).amount)

    def __neg__(self) -> Money:
        return self._with(-self.amount)

    def __abs__(self) -> Money:
        return self._with(abs(self.amount))

    def __mul__(self, factor: Decimal | int) -> Money:
        return self._with(self.amount * _factor(factor))

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other).amount

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self.currency == other.currency and self.amount == other.amount

    def __hash__(self) -> int:
        return hash((self.currency, self.amount))

    def __str__(self) -> str:
        return f"{format(self.amount, 'f')} {self.currency}"


def _factor(factor: Any) -> Decimal:
    if isinstance(factor, bool) or not isinstance(factor, int | Decimal):
        raise TypeError("multiply Money by an int or a Decimal, never a float")
    return Decimal(factor)


def _quantize(amount: Decimal, places: int, mode: str) -> Decimal:
    try:
        return amount.quantize(Decimal(1).scaleb(-places), rounding=mode)
    except InvalidOperation as exc:
        raise ValueError(f"cannot round {amount} to {places} places") from exc
