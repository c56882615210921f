"""Forecast arithmetic (S11): weighted pipeline in one reporting currency, and attainment.

Amounts of several currencies are converted with the tenant's rate valid on the
forecast's date (the rate used is reported beside the figure). Weighted = amount x stage
probability / 100; rounding happens once, at the end of each sum, to the reporting
currency's minor unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from sales_service.quotes.totals import HUNDRED


class MissingRate(LookupError):
    def __init__(self, currency: str, reporting: str) -> None:
        super().__init__(f"no exchange rate from {currency} to {reporting}")
        self.currency = currency


@dataclass(frozen=True)
class Bucket:
    """Sums of one (period, owner, category) cell, per deal currency."""

    period: str
    owner_id: object
    category: str
    amounts: Mapping[str, Decimal]
    weighted: Mapping[str, Decimal]
    deals: int


def convert(
    amounts: Mapping[str, Decimal], rates: Mapping[str, Decimal], reporting: str
) -> Decimal:
    """``amounts`` by currency as one unrounded amount in ``reporting``."""
    total = Decimal(0)
    for currency, amount in amounts.items():
        rate = Decimal(1) if currency == reporting else rates.get(currency)
        if rate is None:
            raise MissingRate(currency, reporting)
        total += amount * rate
    return total


def weighted(amount: Decimal, probability: Decimal) -> Decimal:
    return amount * probability / HUNDRED


def attainment(achieved: Decimal, quota: Decimal) -> Decimal | None:
    """Achieved as a percentage of quota (two decimals), None without a quota."""
    if quota <= 0:
        return None
    return (achieved * HUNDRED / quota).quantize(Decimal("0.01"))
