"""Multi-touch attribution of won revenue to the touchpoints before the win.

Models (weights over a conversion's touches, oldest first, summing to 1):

- ``first_touch``: all to the first; ``last_touch``: all to the last;
- ``linear``: equal shares;
- ``time_decay``: ``2 ** (-days_before_conversion / half_life_days)``, normalised;
- ``position_based`` (U-shaped): 40 % first, 40 % last, 20 % shared by those between
  (one touch takes all; two take half each).

Credit is exact money: each share is rounded to 4 decimals (the warehouse's scale) and
the remainder goes to the last touch, so a conversion's credits add up to its revenue.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

MODELS = ("first_touch", "last_touch", "linear", "time_decay", "position_based")
_CENT = Decimal("0.0001")


@dataclass(frozen=True)
class Touch:
    at: datetime
    campaign: str | None
    channel: str


@dataclass(frozen=True)
class Conversion:
    at: datetime
    revenue: Decimal
    currency: str
    touches: Sequence[Touch]


def weights(
    model: str, touches: Sequence[Touch], converted: datetime, half_life_days: float = 7.0
) -> list[float]:
    n = len(touches)
    if n == 0:
        return []
    if model == "first_touch":
        return [1.0] + [0.0] * (n - 1)
    if model == "last_touch":
        return [0.0] * (n - 1) + [1.0]
    if model == "linear":
        return [1.0 / n] * n
    if model == "time_decay":
        raw = [
            2 ** (-((converted - t.at).total_seconds() / 86400) / half_life_days) for t in touches
        ]
        total = sum(raw)
        return [w / total for w in raw]
    if model == "position_based":
        if n == 1:
            return [1.0]
        if n == 2:
            return [0.5, 0.5]
        middle = 0.2 / (n - 2)
        return [0.4] + [middle] * (n - 2) + [0.4]
    raise ValueError(f"no attribution model {model!r}; one of {', '.join(MODELS)}")


def split(revenue: Decimal, shares: Sequence[float]) -> list[Decimal]:
    """``revenue`` split by ``shares``, exact to the warehouse's scale."""
    credits = [(revenue * Decimal(repr(s))).quantize(_CENT, ROUND_HALF_EVEN) for s in shares]
    if credits:
        credits[-1] += revenue - sum(credits, Decimal(0))
    return credits


def attribute(
    conversions: Sequence[Conversion],
    model: str,
    *,
    by: str = "campaign",
    half_life_days: float = 7.0,
) -> dict[tuple[str, str], Decimal]:
    """Credited revenue per (``by`` value, currency): ``by`` is campaign or channel."""
    if by not in ("campaign", "channel"):
        raise ValueError("attribution is by campaign or by channel")
    credit: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for conversion in conversions:
        touches = sorted(
            (t for t in conversion.touches if t.at <= conversion.at), key=lambda t: t.at
        )
        shares = weights(model, touches, conversion.at, half_life_days)
        for touch, amount in zip(touches, split(conversion.revenue, shares), strict=True):
            key = (touch.campaign or "(none)") if by == "campaign" else touch.channel
            credit[(key, conversion.currency)] += amount
    return dict(credit)
