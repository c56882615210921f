"""Business calendars: how much business time lies between two instants, and the instant
a given amount of business time after another (V4).

A :class:`BusinessCalendar` is weekly opening hours in a named time zone, minus holidays
(its own dates and, optionally, a country's public holidays from the ``holidays``
package). Opening hours are wall-clock times: each local day's hours are converted to UTC
through ``zoneinfo``, so a day that loses or gains an hour to DST has that much less or
more business time, and nothing else moves.

All arithmetic is on integer microseconds since the Unix epoch, so sums are exact. The
calendar keeps, per instance, a timeline of its business intervals in UTC with running
totals, built a few years at a time as instants ask for it; both queries are then a
binary search. A calendar is immutable: a changed calendar is a new instance (and a new
timeline), which is why a recomputation after a change equals a fresh computation.

:data:`CALENDAR_HOURS` is the 24/7 calendar of targets in calendar hours.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from itertools import pairwise
from zoneinfo import ZoneInfo

import holidays as public_holidays

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US = timedelta(microseconds=1)
SECOND = 1_000_000
MINUTES_PER_DAY = 24 * 60
_YEARS_PER_BUILD = 3
_MAX_YEARS = 50  # no target is decades of business time; past this a calendar is empty


def to_us(moment: datetime) -> int:
    """``moment`` (aware) as integer microseconds since the epoch, exactly."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the SLA clock works in aware instants only")
    return (moment - EPOCH) // US


def from_us(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


@dataclass(frozen=True)
class Span:
    """Opening hours of one weekday, in minutes after local midnight (``end`` up to 1440)."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= MINUTES_PER_DAY:
            raise ValueError(f"opening hours {self.start}-{self.end} are not within one day")


def span(start: str, end: str) -> Span:
    """A :class:`Span` from ``"09:00"``, ``"17:30"`` (``"24:00"`` is midnight at the end)."""
    return Span(_minutes(start), _minutes(end))


def _minutes(text: str) -> int:
    hours, _, minutes = text.partition(":")
    return int(hours) * 60 + int(minutes or 0)


class Clock:
    """What the SLA clock asks of a calendar."""

    def between(self, start: int, end: int) -> int:
        """Business microseconds in ``[start, end)`` (0 when ``end <= start``)."""
        raise NotImplementedError

    def add(self, start: int, amount: int) -> int:
        """The first instant at which ``amount`` business microseconds have passed since
        ``start`` (``start`` itself for ``amount <= 0``)."""
        raise NotImplementedError

    # datetime conveniences, for callers outside the hot path
    def business_time(self, start: datetime, end: datetime) -> timedelta:
        return timedelta(microseconds=self.between(to_us(start), to_us(end)))

    def after(self, start: datetime, amount: timedelta) -> datetime:
        return from_us(self.add(to_us(start), amount // US))


class CalendarHours(Clock):
    """Every instant counts (targets "in calendar hours")."""

    name = "calendar hours"

    def between(self, start: int, end: int) -> int:
        return max(end - start, 0)

    def add(self, start: int, amount: int) -> int:
        return start + max(amount, 0)


CALENDAR_HOURS = CalendarHours()


@dataclass(frozen=True, eq=False)
class BusinessCalendar(Clock):
    """Weekly hours (weekday 0 = Monday -> spans) in ``time_zone``, minus holidays."""

    time_zone: str
    weekly: Mapping[int, Sequence[Span]]
    holidays: frozenset[date] = frozenset()
    country: str | None = None
    subdivision: str | None = None
    name: str = "business hours"
    _timeline: _Timeline = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        zone = ZoneInfo(self.time_zone)  # raises for an unknown zone
        weekly = {
            int(day): tuple(sorted(spans, key=lambda s: s.start))
            for day, spans in self.weekly.items()
        }
        for day, spans in weekly.items():
            if not 0 <= day <= 6:
                raise ValueError(f"weekday {day} is not 0 (Monday) to 6 (Sunday)")
            for a, b in pairwise(spans):
                if b.start < a.end:
                    raise ValueError(f"opening hours of weekday {day} overlap")
        if not any(weekly.values()):
            raise ValueError("a business calendar needs opening hours on at least one day")
        if self.country is not None:
            public_holidays.country_holidays(self.country, subdiv=self.subdivision)  # validates
        object.__setattr__(self, "weekly", weekly)
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "_timeline", _Timeline(self, zone))

    @cached_property
    def _public(self) -> public_holidays.HolidayBase | None:
        if self.country is None:
            return None
        return public_holidays.country_holidays(self.country, subdiv=self.subdivision)

    def is_holiday(self, day: date) -> bool:
        return day in self.holidays or (self._public is not None and day in self._public)

    def between(self, start: int, end: int) -> int:
        if end <= start:
            return 0
        line = self._timeline
        line.cover(start, end)
        return line.position(end) - line.position(start)

    def add(self, start: int, amount: int) -> int:
        if amount <= 0:
            return start
        line = self._timeline
        line.cover(start, start)
        goal = line.position(start) + amount
        while goal > line.total:
            line.extend_forward()
        i = bisect_left(line.totals_at_end, goal)
        return line.starts[i] + (goal - line.totals_at_start[i])


class _Timeline:
    """The business intervals of a calendar over whole local years, with running totals.

    ``totals_at_start[i]`` is the business time from the first interval up to
    ``starts[i]``; ``totals_at_end[i]`` up to ``ends[i]``.
    """

    def __init__(self, calendar: BusinessCalendar, zone: ZoneInfo) -> None:
        self.calendar = calendar
        self.zone = zone
        self.first_year = self.last_year = 0
        self.lo = self.hi = 0  # the instants covered: [lo, hi)
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.totals_at_start: list[int] = []
        self.totals_at_end: list[int] = []
        self.total = 0

    def position(self, moment: int) -> int:
        """Business time from the timeline's origin up to ``moment`` (within coverage)."""
        i = bisect_right(self.starts, moment) - 1
        if i < 0:
            return 0
        return self.totals_at_start[i] + min(moment, self.ends[i]) - self.starts[i]

    def cover(self, start: int, end: int) -> None:
        if self.starts and self.lo <= start and end < self.hi:
            return
        years = (from_us(start).year - 1, from_us(end).year + 1)
        if self.starts:
            years = (min(years[0], self.first_year), max(years[1], self.last_year))
        if years[1] - years[0] > _MAX_YEARS:
            raise ValueError("instants too far apart for one business calendar")
        self._build(*years)

    def extend_forward(self) -> None:
        if self.last_year - self.first_year >= _MAX_YEARS:
            raise ValueError("business time beyond the calendar's horizon")
        self._build(self.first_year, self.last_year + _YEARS_PER_BUILD)

    def _build(self, first_year: int, last_year: int) -> None:
        starts, ends = _intervals(self.calendar, self.zone, first_year, last_year)
        totals_at_start, totals_at_end, total = [], [], 0
        for s, e in zip(starts, ends, strict=True):
            totals_at_start.append(total)
            total += e - s
            totals_at_end.append(total)
        self.starts, self.ends = starts, ends
        self.totals_at_start, self.totals_at_end, self.total = totals_at_start, totals_at_end, total
        self.first_year, self.last_year = first_year, last_year
        # Instants a day inside the local years built are covered whatever the offset.
        self.lo = to_us(datetime(first_year, 1, 2, tzinfo=UTC))
        self.hi = to_us(datetime(last_year, 12, 31, tzinfo=UTC))


def _intervals(
    calendar: BusinessCalendar, zone: ZoneInfo, first_year: int, last_year: int
) -> tuple[list[int], list[int]]:
    starts: list[int] = []
    ends: list[int] = []
    day = date(first_year, 1, 1)
    last = date(last_year, 12, 31)
    while day <= last:
        spans = calendar.weekly.get(day.weekday(), ())
        if spans and not calendar.is_holiday(day):
            midnight = datetime.combine(day, time.min, tzinfo=zone)
            for s in spans:
                # Wall-clock arithmetic, then to UTC: DST days are shorter or longer.
                a = to_us((midnight + timedelta(minutes=s.start)).astimezone(UTC))
                b = to_us((midnight + timedelta(minutes=s.end)).astimezone(UTC))
                if b <= a:
                    continue
                if ends and a <= ends[-1]:  # touching spans (e.g. 00:00-24:00 every day)
                    ends[-1] = max(ends[-1], b)
                else:
                    starts.append(a)
                    ends.append(b)
        day += timedelta(days=1)
    return starts, ends


def weekly_hours(hours: Mapping[str, Iterable[tuple[str, str]]]) -> dict[int, tuple[Span, ...]]:
    """``{"mon": [("09:00", "17:00")], ...}`` as weekday numbers and spans."""
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    out: dict[int, tuple[Span, ...]] = {}
    for name, spans in hours.items():
        if name not in names:
            raise ValueError(f"unknown weekday {name!r}: use one of {', '.join(names)}")
        out[names.index(name)] = tuple(span(a, b) for a, b in spans)
    return out
