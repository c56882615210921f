"""Quote totals: exact money, rounded per line to the currency's minor unit."""

from decimal import Decimal

import pytest
from crm_proto.money import MINOR_UNITS, CurrencyMismatch, Money
from hypothesis import given
from hypothesis import strategies as st
from sales_service.quotes.totals import LineInput, line_totals, quote_totals

CURRENCIES = st.sampled_from(["EUR", "JPY", "KWD", "USD", "BHD", "CLF"])


@st.composite
def lines(draw: st.DrawFn, currency: str) -> LineInput:
    places = MINOR_UNITS[currency]
    price = draw(st.decimals(min_value=0, max_value=10**6, places=places))
    discount = draw(st.none() | st.decimals(min_value=0, max_value=10**7, places=places))
    return LineInput(
        quantity=draw(st.decimals(min_value=Decimal("0.0001"), max_value=10**4, places=4)),
        unit_price=Money.of(price, currency),
        discount_percent=draw(st.decimals(min_value=0, max_value=100, places=2)),
        discount_amount=None if discount is None else Money.of(discount, currency),
        tax_rate=draw(st.decimals(min_value=0, max_value=30, places=3)),
    )


@st.composite
def quotes(draw: st.DrawFn) -> tuple[str, list[LineInput]]:
    currency = draw(CURRENCIES)
    return currency, draw(st.lists(lines(currency), max_size=8))


@given(quotes())
def test_a_total_is_the_sum_of_its_rounded_lines(quote: tuple[str, list[LineInput]]) -> None:
    currency, items = quote
    totals = quote_totals(items, currency)
    assert totals.total == sum((t.total for t in totals.lines), Money.zero(currency))
    assert totals.total == totals.subtotal - totals.discount + totals.tax
    for line in totals.lines:
        assert line.total.is_rounded() and line.net.is_rounded() and line.tax.is_rounded()


@given(quotes())
def test_a_discount_never_makes_a_line_negative(quote: tuple[str, list[LineInput]]) -> None:
    currency, items = quote
    for line in quote_totals(items, currency).lines:
        assert line.net.amount >= 0 and line.total.amount >= 0 and line.discount <= line.gross


@pytest.mark.parametrize(
    ("currency", "price", "expected"),
    [("JPY", "333", "333"), ("KWD", "1.2345", "1.235"), ("EUR", "0.125", "0.13")],
)
def test_rounding_follows_the_currencys_minor_units(currency, price, expected) -> None:
    line = line_totals(LineInput(quantity=Decimal(1), unit_price=Money.of(price, currency)))
    assert line.total == Money.of(expected, currency)
    assert -line.total.amount.as_tuple().exponent == MINOR_UNITS[currency]


def test_tax_and_discount_are_rounded_once_per_line() -> None:
    line = line_totals(
        LineInput(
            quantity=Decimal(3),
            unit_price=Money.of("19.99", "EUR"),
            discount_percent=Decimal(10),
            tax_rate=Decimal(19),
        )
    )
    # 59.97 gross, 6.00 off (5.997 rounded), 53.97 net, 10.25 tax (10.2543)
    assert (line.gross, line.discount, line.net, line.tax, line.total) == tuple(
        Money.of(a, "EUR") for a in ("59.97", "6.00", "53.97", "10.25", "64.22")
    )


def test_a_line_in_another_currency_is_refused() -> None:
    with pytest.raises(CurrencyMismatch):
        quote_totals([LineInput(quantity=Decimal(1), unit_price=Money.of(1, "USD"))], "EUR")
