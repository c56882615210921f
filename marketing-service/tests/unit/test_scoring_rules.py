"""Scoring arithmetic: decay and totals."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from marketing_service.scoring.rules import Contribution, decayed, engagement, horizon, total

NOW = datetime(2026, 12, 1, tzinfo=UTC)
ages = st.floats(min_value=0, max_value=3650, allow_nan=False)
half_lives = st.floats(min_value=0.5, max_value=365, allow_nan=False)


def test_a_touch_one_half_life_old_counts_half_and_two_a_quarter():
    assert decayed(40, timedelta(days=7), 7) == 20
    assert decayed(40, timedelta(days=14), 7) == 10


def test_without_a_half_life_nothing_decays_and_the_future_counts_as_now():
    assert decayed(5, timedelta(days=900), None) == 5
    assert decayed(8, timedelta(days=-3), 2) == 8


@given(st.integers(-100, 100), ages, ages, half_lives)
def test_an_older_touch_never_counts_more(points, a, b, half_life):
    younger, older = sorted((a, b))
    assert (
        abs(decayed(points, timedelta(days=older), half_life))
        <= abs(decayed(points, timedelta(days=younger), half_life)) + 1e-9
    )


@given(st.integers(0, 100), st.lists(ages, max_size=20), half_lives)
def test_engagement_is_between_nothing_and_every_touch_counted_in_full(points, days, half_life):
    times = [NOW - timedelta(days=d) for d in days]
    value = engagement(points, times, NOW, half_life)
    assert 0 <= value <= points * len(times) + 1e-9


def test_the_horizon_drops_only_touches_that_no_longer_count():
    assert decayed(100, horizon(10), 10) < 0.03
    assert horizon(None) >= timedelta(days=365)


def test_a_score_is_the_rounded_sum_of_its_contributions():
    parts = [Contribution(None, "fit", "fit", 10), Contribution(None, "visits", "engagement", 2.6)]
    assert total(parts) == 13
