"""When a failed delivery is tried again: exponential backoff with jitter, over about
three days (the Standard Webhooks recommendation, stretched), then it has failed."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import timedelta

#: Waits after the 1st, 2nd, ... failed attempt: 10 attempts over about 2.7 days.
DELAYS: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000, 50400, 86400)


def next_delay(
    failed_attempts: int,
    delays: Sequence[float] = DELAYS,
    *,
    jitter: float = 0.2,
    rng: random.Random | None = None,
) -> timedelta | None:
    """The wait before the next attempt after ``failed_attempts`` failures, or None when
    there is none left. Each wait varies by up to ``jitter`` either way, so a receiver
    that was down is not hit by every retry at the same second."""
    if failed_attempts < 1 or failed_attempts > len(delays):
        return None
    base = delays[failed_attempts - 1]
    spread = (rng or random).uniform(-jitter, jitter)
    return timedelta(seconds=base * (1 + spread))
