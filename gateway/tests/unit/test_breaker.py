"""The circuit breaker per service, on a clock the test moves."""

from __future__ import annotations

import pytest
from crm_chassis.errors import ServiceUnavailable
from crm_gateway.limits.breaker import CircuitBreakers


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_consecutive_failures_then_lets_one_trial_through() -> None:
    clock = Clock()
    breakers = CircuitBreakers(threshold=3, open_seconds=10, clock=clock)
    for _ in range(2):
        breakers.record("sales", ok=False)
    breakers.check("sales")  # two failures: still closed
    breakers.record("sales", ok=False)
    with pytest.raises(ServiceUnavailable) as refused:
        breakers.check("sales")
    assert refused.value.headers["Retry-After"] == "10"
    breakers.check("contacts")  # other services are unaffected

    clock.now += 10
    breakers.check("sales")  # the trial
    with pytest.raises(ServiceUnavailable):
        breakers.check("sales")  # only one trial at a time
    breakers.record("sales", ok=True)
    breakers.check("sales")
    assert not breakers.is_open("sales")


def test_a_failed_trial_opens_the_circuit_again() -> None:
    clock = Clock()
    breakers = CircuitBreakers(threshold=1, open_seconds=5, clock=clock)
    breakers.record("sales", ok=False)
    clock.now += 5
    breakers.check("sales")
    breakers.record("sales", ok=False)
    with pytest.raises(ServiceUnavailable):
        breakers.check("sales")


def test_a_success_resets_the_count() -> None:
    breakers = CircuitBreakers(threshold=2, open_seconds=5, clock=Clock())
    breakers.record("sales", ok=False)
    breakers.record("sales", ok=True)
    breakers.record("sales", ok=False)
    breakers.check("sales")
