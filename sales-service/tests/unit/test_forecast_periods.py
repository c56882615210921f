"""Forecast periods: a quarter or a month of a year a date can hold; anything else is
refused as bad input, never a server error."""

from datetime import date

import pytest
from crm_chassis.errors import ValidationFailed
from sales_service.forecast.service import period_bounds


def test_quarters_and_months_have_their_bounds() -> None:
    assert period_bounds("2026-Q4") == (date(2026, 10, 1), date(2027, 1, 1))
    assert period_bounds("2026-12") == (date(2026, 12, 1), date(2027, 1, 1))


@pytest.mark.parametrize("period", ["0000-Q1", "9999-12", "2026-Q5", "2026-13", "26-Q1"])
def test_a_period_no_date_can_hold_is_bad_input(period: str) -> None:
    with pytest.raises(ValidationFailed):
        period_bounds(period)
