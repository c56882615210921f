"""Business calendars: weekends, holidays (own and public) and DST in both directions."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from support_service.sla.calendar import CALENDAR_HOURS, BusinessCalendar, weekly_hours

BERLIN = ZoneInfo("Europe/Berlin")
NINE_TO_FIVE = weekly_hours({d: [("09:00", "17:00")] for d in ("mon", "tue", "wed", "thu", "fri")})
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS = weekly_hours({d: [("00:00", "24:00")] for d in DAYS})


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def office(**kw: object) -> BusinessCalendar:
    return BusinessCalendar("Europe/Berlin", NINE_TO_FIVE, **kw)  # type: ignore[arg-type]


def test_business_time_skips_the_weekend() -> None:
    cal = office()
    friday_four = berlin(2026, 11, 27, 16)
    assert cal.after(friday_four, timedelta(hours=2)) == berlin(2026, 11, 30, 10)
    assert cal.business_time(friday_four, berlin(2026, 11, 30, 10)) == timedelta(hours=2)


def test_a_start_outside_hours_counts_from_the_next_opening() -> None:
    cal = office()
    assert cal.after(berlin(2026, 11, 28, 12), timedelta(hours=1)) == berlin(2026, 11, 30, 10)
    assert cal.after(berlin(2026, 11, 30, 7), timedelta(hours=8)) == berlin(2026, 11, 30, 17)


def test_zero_business_time_is_due_at_once_even_when_closed() -> None:
    saturday = berlin(2026, 11, 28, 12)
    assert office().after(saturday, timedelta(0)) == saturday


def test_a_countrys_public_holidays_are_not_business_days() -> None:
    cal = office(country="DE")  # 25 and 26 December 2026: Friday and Saturday
    thursday_four = berlin(2026, 12, 24, 16)
    assert cal.after(thursday_four, timedelta(hours=2)) == berlin(2026, 12, 28, 10)
    without = office()
    assert without.after(thursday_four, timedelta(hours=2)) == berlin(2026, 12, 25, 10)


def test_own_holiday_dates_are_not_business_days() -> None:
    cal = office(holidays=frozenset({date(2026, 12, 1)}))
    assert cal.after(berlin(2026, 11, 30, 16), timedelta(hours=2)) == berlin(2026, 12, 2, 10)


@pytest.mark.parametrize(
    ("weekend_start", "hours"),
    [
        ((2026, 3, 28), 47),  # spring forward: Sunday 29 March has 23 hours
        ((2026, 10, 24), 49),  # fall back: Sunday 25 October has 25 hours
        ((2026, 11, 28), 48),
    ],
)
def test_a_round_the_clock_calendar_counts_real_hours_across_dst(
    weekend_start: tuple[int, int, int], hours: int
) -> None:
    cal = BusinessCalendar("Europe/Berlin", ALWAYS)
    start = berlin(*weekend_start)
    monday = start + timedelta(days=2)  # wall-clock midnight two days on
    assert cal.business_time(start, monday) == timedelta(hours=hours)
    assert cal.after(start, timedelta(hours=hours)) == monday
    assert CALENDAR_HOURS.business_time(start, monday) == timedelta(hours=hours)


@pytest.mark.parametrize("day", [date(2026, 3, 30), date(2026, 10, 26)])
def test_opening_hours_keep_their_wall_clock_time_after_a_dst_change(day: date) -> None:
    cal = office()
    friday_four = berlin(day.year, day.month, day.day - 3, 16)
    due = cal.after(friday_four, timedelta(hours=3))
    assert due.astimezone(BERLIN).replace(tzinfo=None) == datetime(day.year, day.month, day.day, 11)


def test_hours_that_span_the_skipped_hour_are_an_hour_shorter() -> None:
    night = weekly_hours({"sun": [("01:00", "04:00")]})
    cal = BusinessCalendar("Europe/Berlin", night)
    week = (berlin(2026, 3, 23), berlin(2026, 3, 30))
    assert cal.business_time(*week) == timedelta(hours=2)
    autumn = (berlin(2026, 10, 19), berlin(2026, 10, 26))
    assert cal.business_time(*autumn) == timedelta(hours=4)


def test_business_time_far_ahead_extends_the_timeline() -> None:
    cal = office()
    start = datetime(2026, 1, 5, 8, tzinfo=UTC)  # 09:00 in Berlin, a Monday
    due = cal.after(start, timedelta(hours=8 * 260 * 5))  # about five years of days
    assert due.year in (2030, 2031)
    assert cal.business_time(start, due) == timedelta(hours=8 * 260 * 5)


def test_bad_calendars_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one day"):
        BusinessCalendar("Europe/Berlin", {})
    with pytest.raises(ValueError, match="overlap"):
        BusinessCalendar("UTC", weekly_hours({"mon": [("09:00", "12:00"), ("11:00", "13:00")]}))
    with pytest.raises(ValueError, match="unknown weekday"):
        weekly_hours({"monday": [("09:00", "17:00")]})
    with pytest.raises(ValueError, match="within one day"):
        weekly_hours({"mon": [("17:00", "09:00")]})
    with pytest.raises(Exception, match="Mars"):
        BusinessCalendar("Mars/Olympus", NINE_TO_FIVE)
