"""RFM: recency, frequency and monetary scores (1 to 5) and named segments.

Scores are quintiles by rank: a customer's score is ``1 + floor(bins * (rank - 1) / n)``
with ``rank`` from 1 (worst) to ``n`` (best), ties sharing the lowest rank, so a set of
customers always spreads over the scores the same way, whatever the units. Recency ranks
the most recent purchase best; frequency and monetary rank the larger best.

Segments follow the R and F scores (the common ten-segment grid):
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import pandas as pd


@dataclass(frozen=True)
class Purchase:
    customer: str
    at: datetime
    amount: Decimal


@dataclass(frozen=True)
class RfmScore:
    customer: str
    recency_days: int
    frequency: int
    monetary: Decimal
    r: int
    f: int
    m: int
    segment: str

    @property
    def code(self) -> str:
        return f"{self.r}{self.f}{self.m}"


#: (segment, rule over R and F) in order; the first that holds names the customer.
SEGMENTS: tuple[tuple[str, str], ...] = (
    ("champions", "r >= 4 and f >= 4"),
    ("loyal", "r >= 3 and f >= 4"),
    ("potential_loyalist", "r >= 4 and f >= 2"),
    ("new", "r == 5 and f == 1"),
    ("promising", "r == 4 and f == 1"),
    ("need_attention", "r == 3 and f == 3"),
    ("about_to_sleep", "r == 3"),
    ("cant_lose", "f == 5"),
    ("at_risk", "f >= 3"),
    ("hibernating", "True"),
)


def segment_of(r: int, f: int) -> str:
    for name, rule in SEGMENTS:
        if eval(rule, {}, {"r": r, "f": f}):
            return name
    raise AssertionError("hibernating catches every customer")


def scores(values: pd.Series, bins: int, *, higher_is_better: bool) -> pd.Series:
    ranked = values.rank(method="min", ascending=higher_is_better)
    return (1 + ((ranked - 1) * bins // len(values))).astype(int)


def rfm(purchases: Sequence[Purchase], as_of: datetime, *, bins: int = 5) -> list[RfmScore]:
    """Each customer's RFM scores and segment, as of ``as_of``."""
    if not purchases:
        return []
    frame = pd.DataFrame(
        {
            "customer": [p.customer for p in purchases],
            "at": [p.at for p in purchases],
            "amount": [p.amount for p in purchases],
        }
    )
    grouped = frame.groupby("customer", sort=True)
    per = pd.DataFrame(
        {
            "last": grouped["at"].max(),
            "frequency": grouped.size(),
            "monetary": grouped["amount"].agg(lambda s: sum(s, Decimal(0))),
        }
    )
    per["recency_days"] = [(as_of - last).days for last in per["last"]]
    per["r"] = scores(per["recency_days"], bins, higher_is_better=False)
    per["f"] = scores(per["frequency"], bins, higher_is_better=True)
    per["m"] = scores(per["monetary"].map(float), bins, higher_is_better=True)
    return [
        RfmScore(
            customer=str(customer),
            recency_days=int(row.recency_days),
            frequency=int(row.frequency),
            monetary=row.monetary,
            r=int(row.r),
            f=int(row.f),
            m=int(row.m),
            segment=segment_of(int(row.r), int(row.f)),
        )
        for customer, row in per.iterrows()
    ]
