"""Money: decimal strings on the wire, ISO 4217 minor units, explicit rounding, and
arithmetic that never mixes currencies."""

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import pytest
from crm_proto import CurrencyMismatch, Money
from crm_proto.money import AMOUNT_PATTERN, MAX_SCALE, MINOR_UNITS
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

CURRENCIES = st.sampled_from(sorted(MINOR_UNITS))
AMOUNTS = st.decimals(
    min_value=Decimal("-99999999999.9999"),
    max_value=Decimal("99999999999.9999"),
    places=MAX_SCALE,
    allow_nan=False,
    allow_infinity=False,
)


def money(currency: str = "EUR"):
    return st.builds(Money.of, AMOUNTS, st.just(currency))


def test_minor_units_come_from_iso_4217():
    assert {c: MINOR_UNITS[c] for c in ("EUR", "USD", "JPY", "BHD", "KWD", "CLF")} == {
        "EUR": 2,
        "USD": 2,
        "JPY": 0,
        "BHD": 3,
        "KWD": 3,
        "CLF": 4,
    }
    for not_money in ("XAU", "XDR", "XTS", "XXX", "EUR ", "eur", "ABC"):
        assert not_money not in MINOR_UNITS
        with pytest.raises(ValidationError, match="ISO 4217"):
            Money.of("1", not_money)


def test_the_amount_travels_as_a_string_and_keeps_its_digits():
    m = Money.model_validate_json('{"amount": "12.30", "currency": "EUR"}')
    assert m.amount == Decimal("12.30") and str(m.amount) == "12.30"
    assert m.model_dump_json() == '{"amount":"12.30","currency":"EUR"}'
    assert m.model_dump(mode="json") == {"amount": "12.30", "currency": "EUR"}
    assert Money.of(Decimal("1E+2"), "JPY").model_dump(mode="json")["amount"] == "100"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ('{"amount": 12.3, "currency": "EUR"}', "not a float"),
        ('{"amount": 12, "currency": "EUR"}', "not a JSON number"),
        ('{"amount": true, "currency": "EUR"}', "not a float"),
        ('{"amount": "1e3", "currency": "EUR"}', "no exponent"),
        ('{"amount": "NaN", "currency": "EUR"}', "no exponent"),
        ('{"amount": "12.30001", "currency": "EUR"}', "4 after it"),
        ('{"amount": "1234567890123456", "currency": "EUR"}', "15 digits"),
        ('{"amount": " 1", "currency": "EUR"}', "decimal string"),
        ('{"amount": "1", "currency": "EUR", "x": 1}', "Extra inputs"),
    ],
)
def test_bad_amounts_are_refused_with_a_clear_error(raw, message):
    with pytest.raises(ValidationError, match=message):
        Money.model_validate_json(raw)


def test_python_callers_may_pass_an_int_but_never_a_float():
    assert Money.of(5, "JPY").amount == Decimal(5)
    with pytest.raises(ValidationError, match="not a float"):
        Money.of(0.1, "EUR")  # type: ignore[arg-type]


def test_the_json_schema_says_string_with_a_pattern():
    schema = Money.model_json_schema()
    assert schema["properties"]["amount"]["type"] == "string"
    assert schema["properties"]["amount"]["pattern"] == AMOUNT_PATTERN
    assert schema["properties"]["currency"]["pattern"] == "^[A-Z]{3}$"
    assert schema["additionalProperties"] is False


def test_rounding_is_to_the_currency_and_half_even_unless_told():
    assert Money.of("0.125", "EUR").rounded() == Money.of("0.12", "EUR")
    assert Money.of("0.125", "EUR").rounded(ROUND_HALF_UP) == Money.of("0.13", "EUR")
    assert str(Money.of("2.5", "JPY").rounded().amount) == "2"
    assert str(Money.of("1.2345", "BHD").rounded().amount) == "1.234"
    assert str(Money.of("7", "CLF").rounded().amount) == "7.0000"
    assert Money.of("19.99", "EUR").times(Decimal("0.175")) == Money.of("3.50", "EUR")


@given(
    m=st.builds(Money.of, AMOUNTS, CURRENCIES),
    mode=st.sampled_from([ROUND_HALF_EVEN, ROUND_HALF_UP]),
)
def test_a_rounded_amount_is_on_the_minor_unit_and_within_half_of_it(m, mode):
    r = m.rounded(mode)
    unit = Decimal(1).scaleb(-m.minor_unit)
    assert r.currency == m.currency and r.is_rounded()
    assert -r.amount.as_tuple().exponent == m.minor_unit
    assert abs(r.amount - m.amount) <= unit / 2
    assert r.rounded(mode) == r


@given(a=money(), b=money(), c=money())
def test_addition_within_a_currency_is_exact(a, b, c):
    assert a + b == b + a
    assert (a + b) + c == a + (b + c)
    assert (a + b) - b == a
    assert a - a == Money.zero("EUR")
    assert sum([a, b, c]) == Money.of(a.amount + b.amount + c.amount, "EUR")
    negated = -a
    assert -negated == a and abs(a) >= Money.zero("EUR")
    assert (a < b) == (a.amount < b.amount)


@given(a=money("EUR"), b=money("USD"))
def test_currencies_never_mix(a, b):
    for op in (lambda: a + b, lambda: a - b, lambda: a < b, lambda: sum([a, b])):
        with pytest.raises(CurrencyMismatch):
            op()
    assert a != b


@given(a=money(), k=st.integers(min_value=-1000, max_value=1000))
def test_multiplying_by_an_int_is_exact_and_by_a_float_refused(a, k):
    assert (a * k).amount == a.amount * k and k * a == a * k
    with pytest.raises(TypeError):
        a * 1.5  # type: ignore[operator]


@given(m=st.builds(Money.of, AMOUNTS, CURRENCIES))
def test_every_valid_value_round_trips_through_json(m):
    again = Money.model_validate_json(m.model_dump_json())
    assert again == m and str(again.amount) == format(m.amount, "f")
