"""The propagation bench's bookkeeping: latencies, missing and unexpected events, when a
consumer stops waiting."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import propagation
from propagation import SETTLE_SECONDS, Progress, figures


def test_latencies_are_taken_over_the_events_both_sides_saw() -> None:
    sent = {"a": 0, "b": 1_000_000, "c": 2_000_000, "lost": 3_000_000}
    received = {"a": 5_000_000, "b": 3_000_000, "c": 4_000_000, "stray": 9}
    f = figures(sent, received)
    assert (f["sent"], f["missing"], f["unexpected"]) == (4, 1, 1)
    assert f["p50_ms"] == 2.0
    assert f["max_ms"] == 5.0


def test_no_event_through_is_an_error() -> None:
    with pytest.raises(RuntimeError):
        figures({"a": 1}, {})


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(propagation.time, "monotonic", clock)
    return clock


def test_a_consumer_waits_for_the_first_event_however_long_the_producer_starts(
    clock: Clock,
) -> None:
    progress = Progress(expected=10, limit=100)
    clock.now += 10 * SETTLE_SECONDS
    assert progress.waiting(0)


def test_a_consumer_stops_once_it_has_every_event(clock: Clock) -> None:
    progress = Progress(expected=10, limit=100)
    assert progress.waiting(9)
    assert not progress.waiting(10)


def test_a_consumer_stops_when_events_stop_coming(clock: Clock) -> None:
    progress = Progress(expected=10, limit=100)
    assert progress.waiting(3)
    clock.now += SETTLE_SECONDS - 0.1
    assert progress.waiting(3)
    clock.now += 0.1
    assert not progress.waiting(3)


def test_a_consumer_stops_at_its_limit_even_while_events_come(clock: Clock) -> None:
    progress = Progress(expected=1000, limit=20)
    for count in range(1, 20):
        clock.now += 1
        assert progress.waiting(count)
    clock.now += 1
    assert not progress.waiting(20)


def test_the_first_leg_is_commit_to_stored_in_the_stream() -> None:
    sent = {"a": 0, "b": 1_000_000, "c": 2_000_000}
    stored = {"a": 3_000_000, "b": 3_000_000, "c": 3_000_000, "x": 0}
    legs = propagation.stream_figures(sent, stored)
    assert legs == {"stored_p50_ms": 2.0, "stored_p99_ms": 3.0}
    assert propagation.stream_figures(sent, {}) == {"stored_p50_ms": 0.0, "stored_p99_ms": 0.0}
