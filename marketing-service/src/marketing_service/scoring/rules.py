"""Lead scoring arithmetic (M5), pure: fit points, engagement points with decay.

An engagement rule gives ``points`` for each matching touch, halved every
``half_life_days`` of the touch's age (no decay without a half-life). A contact's score
is the rounded sum of every contribution, and each contribution is reported, so a score
always explains itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

HORIZON_HALF_LIVES = 12
"""Touches older than this many half-lives add under 0.03% of their points: not read."""
NO_DECAY_HORIZON = timedelta(days=365 * 5)


@dataclass(frozen=True)
class Contribution:
    rule_id: UUID | None
    name: str
    kind: Literal["fit", "engagement", "adjustment"]
    points: float


def decayed(points: float, age: timedelta, half_life_days: float | None) -> float:
    """``points`` of a touch ``age`` old; a touch in the future counts as new."""
    if not half_life_days:
        return float(points)
    days = max(age.total_seconds(), 0.0) / 86400.0
    return points * 0.5 ** (days / half_life_days)


def engagement(
    points: float, times: Iterable[datetime], now: datetime, half_life_days: float | None
) -> float:
    return sum(decayed(points, now - t, half_life_days) for t in times)


def horizon(half_life_days: float | None) -> timedelta:
    if not half_life_days:
        return NO_DECAY_HORIZON
    return timedelta(days=half_life_days * HORIZON_HALF_LIVES)


def total(contributions: Iterable[Contribution]) -> int:
    return round(sum(c.points for c in contributions))
