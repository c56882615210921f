"""A circuit breaker per service: after ``threshold`` consecutive failures (unreachable,
timed out, or a 5xx), requests to that service are answered 503 at once for
``open_seconds``; then one trial request goes through, and its outcome closes the
circuit or opens it again. Per gateway process: each replica learns on its own."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from crm_chassis.errors import ServiceUnavailable
from prometheus_client import Gauge

BREAKER_OPEN = Gauge(
    "crm_gateway_circuit_open", "1 while the circuit to a service is open", ["service"]
)


@dataclass
class _State:
    failures: int = 0
    opened_at: float | None = None
    trial_in_flight: bool = False


class CircuitBreakers:
    """The breakers of every service, keyed by the service's short name."""

    def __init__(
        self,
        *,
        threshold: int = 5,
        open_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.open_seconds = open_seconds
        self.clock = clock
        self._states: dict[str, _State] = {}

    def check(self, service: str) -> None:
        """Raise a 503 problem while ``service``'s circuit is open."""
        state = self._states.get(service)
        if state is None or state.opened_at is None:
            return
        waited = self.clock() - state.opened_at
        if waited >= self.open_seconds and not state.trial_in_flight:
            state.trial_in_flight = True  # half open: this request is the trial
            return
        retry = max(1, math.ceil(self.open_seconds - waited))
        raise ServiceUnavailable(
            f"The {service} service is failing; requests to it pause for {retry} s",
            headers={"Retry-After": str(retry)},
        )

    def record(self, service: str, *, ok: bool) -> None:
        """Count one request's outcome."""
        state = self._states.setdefault(service, _State())
        state.trial_in_flight = False
        if ok:
            if state.opened_at is not None:
                BREAKER_OPEN.labels(service).set(0)
            state.failures, state.opened_at = 0, None
            return
        state.failures += 1
        if state.opened_at is not None or state.failures >= self.threshold:
            state.opened_at = self.clock()
            BREAKER_OPEN.labels(service).set(1)

    def is_open(self, service: str) -> bool:
        state = self._states.get(service)
        return state is not None and state.opened_at is not None
