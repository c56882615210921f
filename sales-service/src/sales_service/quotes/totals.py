"""Quote arithmetic: exact ``Decimal`` money with explicit rounding per currency.

Each line is rounded on its own, to the currency's minor unit (EUR 2, JPY 0, KWD 3),
half-up as invoices round: ``net = round(quantity * unit_price - discount)``, ``tax =
round(net * tax_rate)``. The quote's totals are the sums of those rounded line values,
so a printed quote always adds up; a discount is capped at the line's gross, so no line
is ever negative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from crm_proto.money import MINOR_UNITS, CurrencyMismatch, Money

ROUNDING = ROUND_HALF_UP
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class LineInput:
    quantity: Decimal
    unit_price: Money
    discount_percent: Decimal = Decimal(0)
    discount_amount: Money | None = None
    tax_rate: Decimal = Decimal(0)


@dataclass(frozen=True)
class LineTotals:
    gross: Money
    discount: Money
    net: Money
    tax: Money
    total: Money


@dataclass(frozen=True)
class QuoteTotals:
    lines: tuple[LineTotals, ...]
    subtotal: Money
    discount: Money
    tax: Money
    total: Money


def rounded(amount: Decimal, currency: str) -> Money:
    """``amount`` rounded half-up to ``currency``'s minor unit, as Money."""
    places = MINOR_UNITS[currency]
    return Money.of(amount.quantize(Decimal(1).scaleb(-places), rounding=ROUNDING), currency)


def line_totals(line: LineInput) -> LineTotals:
    currency = line.unit_price.currency
    if line.discount_amount is not None and line.discount_amount.currency != currency:
        raise CurrencyMismatch(f"a {currency} line takes a {currency} discount")
    gross = rounded(line.unit_price.amount * line.quantity, currency)
    discount = rounded(gross.amount * line.discount_percent / HUNDRED, currency)
    if line.discount_amount is not None:
        discount = discount + rounded(line.discount_amount.amount, currency)
    discount = min(discount, gross)  # a discount never makes a line negative
    net = gross - discount
    tax = rounded(net.amount * line.tax_rate / HUNDRED, currency)
    return LineTotals(gross=gross, discount=discount, net=net, tax=tax, total=net + tax)


def quote_totals(lines: Sequence[LineInput], currency: str) -> QuoteTotals:
    """The totals of a quote in ``currency``; every line must be priced in it."""
    for line in lines:
        if line.unit_price.currency != currency:
            raise CurrencyMismatch(f"a {currency} quote takes {currency} prices")
    done = tuple(line_totals(line) for line in lines)
    zero = Money.zero(currency)
    return QuoteTotals(
        lines=done,
        subtotal=sum((t.gross for t in done), zero),
        discount=sum((t.discount for t in done), zero),
        tax=sum((t.tax for t in done), zero),
        total=sum((t.total for t in done), zero),
    )
