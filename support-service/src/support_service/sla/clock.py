"""The SLA clock (V5): every metric's state, due time and explanation, derived from a
ticket's history alone, so it can be recomputed at any moment and after any change.

The history is a sequence of :data:`Entry` values in time order: the ticket opened, its
status changed, a public reply (agent) or a message (customer) arrived, a policy's
targets applied (at opening, and again whenever a re-match changed them). Nothing is
stored between computations.

The four metrics:

- ``first_reply`` starts when the ticket opens; the first public agent reply fulfils it.
- ``next_reply`` starts at a customer message after an agent's reply; the next public
  agent reply fulfils it.
- ``periodic_update`` starts at each public agent reply; the next one fulfils it.
- ``resolution`` starts when the ticket opens and runs until it is solved; a reopened
  ticket's resolution clock resumes (the time it spent solved does not count).

Solving fulfils the reply metrics too (nothing is owed once solved). A metric's clock
stops while the ticket's status is one of its target's ``pause_on`` (pending, on-hold).

A re-match that changes a running metric's target (priority raised) ends that
measurement and starts a new one with the new target *from that moment*; the earlier
one is kept in the metric's history with what it had reached. Within a measurement,
``elapsed + remaining == target`` exactly (integer microseconds); the measurement is
breached once elapsed reaches the target, so a reply at the due instant is late.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from support_service.sla.calendar import CALENDAR_HOURS, Clock, from_us, to_us

METRICS = ("first_reply", "next_reply", "periodic_update", "resolution")
STATUSES = ("new", "open", "pending", "on-hold", "solved", "closed")
DONE = frozenset({"solved", "closed"})

State = Literal["active", "paused", "fulfilled", "breached"]


@dataclass(frozen=True)
class Target:
    """One metric's target under a policy: ``seconds`` of business time on ``clock``
    (calendar hours by default), paused while the status is one of ``pause_on``;
    a warning when ``warn_share`` of it has passed."""

    seconds: int
    clock: Clock = CALENDAR_HOURS
    pause_on: frozenset[str] = frozenset()
    warn_share: float = 0.75

    @property
    def us(self) -> int:
        return self.seconds * 1_000_000


@dataclass(frozen=True)
class Opened:
    at: datetime
    status: str = "new"


@dataclass(frozen=True)
class StatusChanged:
    at: datetime
    status: str


@dataclass(frozen=True)
class Replied:
    """A public reply by an agent (``by="agent"``) or a message from the customer."""

    at: datetime
    by: Literal["agent", "customer"]


@dataclass(frozen=True)
class Targeted:
    """A policy's targets apply from ``at`` (``policy`` names it in the explanation)."""

    at: datetime
    targets: Mapping[str, Target]
    policy: str | None = None
    handover: bool = False
    """An OLA's targets: when a new policy starts to apply, each of its metrics is owed
    anew from that moment, and a ticket leaving the policy (handed back) fulfils them."""


Entry = Opened | StatusChanged | Replied | Targeted


@dataclass(frozen=True)
class Pause:
    started_at: datetime
    ended_at: datetime | None
    status: str


@dataclass(frozen=True)
class Measurement:
    """One measurement of a metric against one target, explained."""

    metric: str
    state: State
    policy: str | None
    target_us: int
    elapsed_us: int
    remaining_us: int
    started_at: datetime
    due_at: datetime | None  # None while paused before reaching the target
    warn_at: datetime | None
    breached_at: datetime | None
    fulfilled_at: datetime | None
    ended_at: datetime | None  # fulfilled, or replaced by a re-match
    ended_by: str | None  # "reply", "solved", "retargeted", "untargeted"
    clock: str
    pauses: tuple[Pause, ...]


@dataclass(frozen=True)
class MetricReport:
    """A metric now (its latest measurement) and every earlier measurement."""

    current: Measurement
    history: tuple[Measurement, ...]


# -- building measurements from the history ---------------------------------------------


@dataclass
class _Segment:
    metric: str
    target: Target
    policy: str | None
    start: int
    # Alternating runs and pauses as (from, status) marks; a run's status is "".
    marks: list[tuple[int, str]] = field(default_factory=list)
    end: int | None = None
    ended_by: str | None = None
    fulfilled: bool = False


class _Builder:
    def __init__(self) -> None:
        self.status = "new"
        self.targets: Mapping[str, Target] = {}
        self.policy: str | None = None
        self.open: dict[str, _Segment] = {}
        self.begun: set[str] = set()  # metrics owed, whether or not a target applies
        self.done: list[_Segment] = []
        self.replied = False

    def pause_status(self, metric: str, target: Target) -> str:
        if metric == "resolution" and self.status in DONE:
            return self.status
        return self.status if self.status in target.pause_on else ""

    def begin(self, metric: str, at: int) -> None:
        self.begun.add(metric)
        target = self.targets.get(metric)
        if target is None or metric in self.open:
            return
        segment = _Segment(metric, target, self.policy, at)
        segment.marks.append((at, self.pause_status(metric, target)))
        self.open[metric] = segment

    def end(self, metric: str, at: int, by: str, *, fulfilled: bool) -> None:
        self.begun.discard(metric)
        segment = self.open.pop(metric, None)
        if segment is not None:
            segment.end, segment.ended_by, segment.fulfilled = at, by, fulfilled
            self.done.append(segment)

    def restatus(self, at: int) -> None:
        for metric, segment in self.open.items():
            mark = self.pause_status(metric, segment.target)
            if segment.marks[-1][1] != mark:
                segment.marks.append((at, mark))

    def apply(self, entry: Entry) -> None:
        at = to_us(entry.at)
        if isinstance(entry, Opened):
            self.status = entry.status
            self.begin("first_reply", at)
            self.begin("resolution", at)
        elif isinstance(entry, StatusChanged):
            was, self.status = self.status, entry.status
            if self.status in DONE and was not in DONE:
                for metric in ("first_reply", "next_reply", "periodic_update"):
                    self.end(metric, at, "solved", fulfilled=True)
            if self.status not in DONE and was in DONE:
                self.begin("resolution", at)  # reopened: still open, it resumes below
            self.restatus(at)
        elif isinstance(entry, Replied):
            if entry.by == "agent":
                self.replied = True
                for metric in ("first_reply", "next_reply", "periodic_update"):
                    self.end(metric, at, "reply", fulfilled=True)
                if self.status not in DONE:
                    self.begin("periodic_update", at)
            elif self.replied and "first_reply" not in self.begun:
                self.begin("next_reply", at)
        else:
            self.retarget(entry, at)

    def retarget(self, entry: Targeted, at: int) -> None:
        handed_over = entry.handover and entry.policy != self.policy
        self.targets, self.policy = entry.targets, entry.policy
        for metric in METRICS:
            segment = self.open.get(metric)
            new = self.targets.get(metric)
            if segment is not None and segment.target == new and not handed_over:
                segment.policy = entry.policy
                continue
            handed = handed_over and new is not None and self.status not in DONE
            owed = metric in self.begun or handed
            if segment is not None:
                by = "retargeted" if new else "untargeted"
                self.end(metric, at, by, fulfilled=handed_over and new is None)
            if owed:
                self.begin(metric, at)


def _segments(history: Iterable[Entry]) -> tuple[list[_Segment], dict[str, _Segment]]:
    builder = _Builder()
    for entry in history:
        builder.apply(entry)
    return builder.done, builder.open


# -- evaluating one measurement -----------------------------------------------------------


def _runs(segment: _Segment, until: int) -> list[tuple[int, int]]:
    """The intervals in which the segment's clock ran, up to ``until``."""
    runs = []
    marks = segment.marks
    for i, (start, status) in enumerate(marks):
        if status or start >= until:
            continue
        end = marks[i + 1][0] if i + 1 < len(marks) else until
        runs.append((start, min(end, until)))
    return runs


def _reached(clock: Clock, runs: Sequence[tuple[int, int]], amount: int) -> int | None:
    """The instant the runs' business time reaches ``amount``, if they do."""
    done = 0
    for start, end in runs:
        part = clock.between(start, end)
        if done + part >= amount:
            return clock.add(start, amount - done)
        done += part
    return None


def measure(segment: _Segment, now: int) -> Measurement:
    target, clock = segment.target, segment.target.clock
    until = now if segment.end is None else min(segment.end, now)
    runs = _runs(segment, until)
    elapsed = sum(clock.between(a, b) for a, b in runs)
    running = segment.end is None and not segment.marks[-1][1]
    warn_amount = int(target.us * target.warn_share)

    def moment(amount: int) -> int | None:
        reached = _reached(clock, runs, amount)
        if reached is None and running:
            return clock.add(until, amount - elapsed)
        return reached

    due, warn = moment(target.us), moment(warn_amount)
    last_start, last_status = segment.marks[-1]
    fulfilled_at: int | None = segment.end if segment.fulfilled else None
    if segment.end is None and last_status in DONE and last_start < until:
        fulfilled_at = last_start  # resolution: solved (until reopened)
    breached = elapsed >= target.us
    if breached:
        state: State = "breached"
    elif fulfilled_at is not None:
        state = "fulfilled"
    else:
        state = "paused" if last_status and last_start < until else "active"
    pauses = tuple(
        Pause(
            from_us(start),
            from_us(segment.marks[i + 1][0]) if i + 1 < len(segment.marks) else None,
            status,
        )
        for i, (start, status) in enumerate(segment.marks)
        if status and start < until
    )
    return Measurement(
        metric=segment.metric,
        state=state,
        policy=segment.policy,
        target_us=target.us,
        elapsed_us=elapsed,
        remaining_us=target.us - elapsed,
        started_at=from_us(segment.start),
        due_at=None if due is None else from_us(due),
        warn_at=None if warn is None else from_us(warn),
        breached_at=from_us(due) if breached and due is not None else None,
        fulfilled_at=None if fulfilled_at is None else from_us(fulfilled_at),
        ended_at=None if segment.end is None else from_us(segment.end),
        ended_by=segment.ended_by,
        clock=getattr(clock, "name", "business hours"),
        pauses=pauses,
    )


def compute(history: Iterable[Entry], now: datetime) -> dict[str, MetricReport]:
    """Every metric that has been measured, as of ``now``, by metric name."""
    done, open_ = _segments(history)
    at = to_us(now)
    by_metric: dict[str, list[Measurement]] = {}
    for segment in sorted([*done, *open_.values()], key=lambda s: s.start):
        by_metric.setdefault(segment.metric, []).append(measure(segment, at))
    return {
        metric: MetricReport(current=items[-1], history=tuple(items[:-1]))
        for metric in METRICS
        if (items := by_metric.get(metric))
    }
