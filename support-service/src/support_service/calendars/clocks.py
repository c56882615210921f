"""Stored calendars as SLA clocks, built once per calendar version."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from functools import lru_cache
from typing import Any
from uuid import UUID

from support_service.sla.calendar import BusinessCalendar, weekly_hours


def clock_of_values(
    time_zone: str,
    hours: Mapping[str, Iterable[Any]],
    holidays: Iterable[date | str],
    country: str | None,
    subdivision: str | None,
    name: str = "business hours",
) -> BusinessCalendar:
    """A :class:`BusinessCalendar`; ValueError (a 422 in a schema) when it is not one."""
    try:
        return BusinessCalendar(
            time_zone,
            weekly_hours({day: [tuple(s) for s in spans] for day, spans in hours.items()}),
            frozenset(d if isinstance(d, date) else date.fromisoformat(d) for d in holidays),
            country=country,
            subdivision=subdivision,
            name=name,
        )
    except (KeyError, NotImplementedError) as exc:
        raise ValueError(f"unknown time zone or holiday country: {exc}") from exc


@lru_cache(maxsize=1024)
def _cached(key: tuple[UUID, int], values: str) -> BusinessCalendar:
    import json

    v = json.loads(values)
    return clock_of_values(
        v["time_zone"], v["hours"], v["holidays"], v["country"], v["subdivision"], v["name"]
    )


def clock_of(calendar: Any) -> BusinessCalendar:
    """The clock of a stored calendar (one instance per id and version, so its timeline is
    built once and a re-match onto the same calendar keeps its measurements)."""
    import json

    values = {
        "time_zone": calendar.time_zone,
        "hours": calendar.hours,
        "holidays": [str(d) for d in calendar.holidays],
        "country": calendar.country,
        "subdivision": calendar.subdivision,
        "name": calendar.name,
    }
    return _cached((calendar.id, calendar.version), json.dumps(values, sort_keys=True))
