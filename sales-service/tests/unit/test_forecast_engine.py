"""Forecast arithmetic: conversion with the tenant's rates, weighting, attainment."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sales_service.forecast.engine import MissingRate, attainment, convert, weighted


def test_amounts_of_several_currencies_sum_in_the_reporting_currency() -> None:
    rates = {"USD": Decimal("0.9"), "JPY": Decimal("0.0062")}
    total = convert({"EUR": Decimal(100), "USD": Decimal(200), "JPY": Decimal(10000)}, rates, "EUR")
    assert total == Decimal("342.0")


def test_a_currency_without_a_rate_is_named() -> None:
    with pytest.raises(MissingRate) as info:
        convert({"GBP": Decimal(1)}, {}, "EUR")
    assert info.value.currency == "GBP"


@given(st.decimals(min_value=0, max_value=10**9, places=2), st.integers(0, 100))
def test_weighted_pipeline_never_exceeds_the_amount(amount: Decimal, probability: int) -> None:
    assert Decimal(0) <= weighted(amount, Decimal(probability)) <= amount


def test_attainment_is_a_percentage_of_quota() -> None:
    assert attainment(Decimal(75), Decimal(300)) == Decimal("25.00")
    assert attainment(Decimal(75), Decimal(0)) is None
