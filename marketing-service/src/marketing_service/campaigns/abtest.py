"""Picking the winner of an A/B test (M6), pure: rates and the significance of the lead."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    winner: str
    rates: dict[str, float]
    p_value: float | None
    """Two-sided p-value of a two-proportion z-test, best against second best (None
    when it cannot be computed: one variant, or no variation at all)."""


def two_proportion_p(successes_a: int, n_a: int, successes_b: int, n_b: int) -> float | None:
    if n_a == 0 or n_b == 0:
        return None
    pooled = (successes_a + successes_b) / (n_a + n_b)
    variance = pooled * (1 - pooled) * (1 / n_a + 1 / n_b)
    if variance == 0:
        return None
    z = (successes_a / n_a - successes_b / n_b) / math.sqrt(variance)
    return math.erfc(abs(z) / math.sqrt(2))


def pick(results: dict[str, tuple[int, int]], order: list[str]) -> Outcome:
    """``results``: variant -> (successes, sent). Highest rate wins; a tie goes to the
    variant listed first in ``order``."""
    rates = {
        v: (results.get(v, (0, 0))[0] / results[v][1]) if results.get(v, (0, 0))[1] else 0.0
        for v in order
    }
    ranked = sorted(order, key=lambda v: (-rates[v], order.index(v)))
    p_value = None
    if len(ranked) > 1:
        (a, b) = ranked[0], ranked[1]
        sa, na = results.get(a, (0, 0))
        sb, nb = results.get(b, (0, 0))
        p_value = two_proportion_p(sa, na, sb, nb)
    return Outcome(ranked[0], rates, p_value)
