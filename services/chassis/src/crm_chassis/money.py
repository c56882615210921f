"""Money in PostgreSQL: an exact ``NUMERIC(19, 4)`` amount beside a ``CHAR(3)`` currency.

``value: Mapped[Money] = money_column("value")`` maps two plain columns,
``value_amount NUMERIC(19, 4)`` and ``value_currency CHAR(3)``, as one attribute holding a
:class:`crm_proto.Money` (a SQLAlchemy composite; the columns cannot take the attribute's
own name). Chosen over a JSONB value or a PostgreSQL composite type because the amount
stays a number the database sums, compares and indexes
(``SUM(value_amount) ... GROUP BY value_currency``), every SQL tool reads it, and Alembic
sees ordinary columns.

``NUMERIC(19, 4)`` holds every amount :class:`~crm_proto.Money` accepts (15 digits before
the point, 4 after), so a value round-trips exactly. The :class:`Amount` column type
refuses a float, and an amount PostgreSQL would otherwise round or overflow, before the
statement runs. A read amount comes back at the currency's minor unit or finer,
``12.30 EUR`` (not ``12.3000``), ``0.125 EUR``, ``5 JPY``: the same number in its
canonical form.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from crm_proto.money import MAX_INTEGER_DIGITS, MAX_SCALE, MINOR_UNITS, Money
from sqlalchemy import CHAR, Numeric
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Composite, composite, mapped_column
from sqlalchemy.types import TypeDecorator

PRECISION = MAX_INTEGER_DIGITS + MAX_SCALE


class Amount(TypeDecorator[Decimal]):
    """``NUMERIC(19, 4)`` that takes only exact values that fit: Decimal or int."""

    impl = Numeric(PRECISION, MAX_SCALE, asdecimal=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            raise TypeError(f"a money amount is a Decimal or int, not {type(value).__name__}")
        amount = Decimal(value)
        if not amount.is_finite():
            raise ValueError(f"a money amount is finite, not {amount}")
        exponent = int(amount.as_tuple().exponent)
        scale = max(0, -exponent)
        if scale > MAX_SCALE and amount != round(amount, MAX_SCALE):
            raise ValueError(f"{amount} has more than {MAX_SCALE} decimals: round it first")
        if abs(amount) >= Decimal(10) ** MAX_INTEGER_DIGITS:
            raise ValueError(f"{amount} has more than {MAX_INTEGER_DIGITS} integer digits")
        return amount


def canonical(amount: Decimal, currency: str) -> Decimal:
    """``amount`` with no trailing zeros below the currency's minor unit."""
    places = MINOR_UNITS.get(currency, 0)
    normal = amount.normalize()
    if -int(normal.as_tuple().exponent) < places:
        return amount.quantize(Decimal(1).scaleb(-places))
    return normal if int(normal.as_tuple().exponent) <= 0 else normal.quantize(Decimal(1))


def _money(amount: Decimal | None, currency: str | None) -> Money:
    assert amount is not None and currency is not None
    return Money.of(canonical(amount, currency), currency)


def _both_null(amount: Decimal | None, currency: str | None) -> bool:
    return amount is None and currency is None


def money_column(name: str, *, nullable: bool = False, **kw: Any) -> Composite[Money]:
    """A :class:`~crm_proto.Money` attribute over ``<name>_amount`` and ``<name>_currency``.

    With ``nullable=True`` both columns are nullable and two nulls read as ``None``.
    ``kw`` goes to both ``mapped_column`` calls (``deferred``, ``comment``...).
    """
    return composite(
        _money,
        mapped_column(f"{name}_amount", Amount(), nullable=nullable, **kw),
        mapped_column(f"{name}_currency", CHAR(3), nullable=nullable, **kw),
        return_none_on=_both_null,
    )
