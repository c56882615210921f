"""The SLA clock: states, pauses, re-targeting, and properties over generated histories."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from support_service.sla.calendar import BusinessCalendar, weekly_hours
from support_service.sla.clock import (
    Entry,
    Opened,
    Replied,
    StatusChanged,
    Target,
    Targeted,
    compute,
)

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
HOURS = weekly_hours({d: [("09:00", "17:00")] for d in WEEKDAYS})
PAUSED = frozenset({"pending", "on-hold"})
T0 = datetime(2026, 11, 30, 9, tzinfo=BERLIN)  # a Monday, opening time
HOUR = 3600


def office(**kw: object) -> BusinessCalendar:
    return BusinessCalendar("Europe/Berlin", HOURS, country="DE", **kw)  # type: ignore[arg-type]


def targets(clock: object, first: int = 4 * HOUR, resolution: int = 16 * HOUR) -> dict[str, Target]:
    return {
        "first_reply": Target(first, clock, frozenset()),  # type: ignore[arg-type]
        "next_reply": Target(2 * HOUR, clock, frozenset()),  # type: ignore[arg-type]
        "periodic_update": Target(8 * HOUR, clock, PAUSED),  # type: ignore[arg-type]
        "resolution": Target(resolution, clock, PAUSED),  # type: ignore[arg-type]
    }


def opened(at: datetime, clock: object, **kw: int) -> list[Entry]:
    return [Opened(at), Targeted(at, targets(clock, **kw), "standard")]


def h(hours: float) -> timedelta:
    return timedelta(hours=hours)


def test_an_unanswered_ticket_is_active_then_breached_at_its_business_due_time() -> None:
    cal = office()
    friday_three = datetime(2026, 11, 27, 15, tzinfo=BERLIN)
    history = opened(friday_three, cal)
    first = compute(history, friday_three + h(1)).get("first_reply").current  # type: ignore[union-attr]
    assert first.state == "active" and first.elapsed_us == HOUR * 10**6
    assert first.due_at == datetime(2026, 11, 30, 11, tzinfo=BERLIN)  # 2 h Fri + 2 h Mon
    assert first.warn_at == datetime(2026, 11, 30, 10, tzinfo=BERLIN)
    later = compute(history, datetime(2026, 11, 30, 11, tzinfo=BERLIN))["first_reply"].current
    assert later.state == "breached" and later.remaining_us == 0
    assert later.breached_at == first.due_at


def test_a_reply_before_the_due_time_fulfils_first_reply_and_starts_periodic_updates() -> None:
    history = [*opened(T0, office()), Replied(T0 + h(1), "agent")]
    report = compute(history, T0 + h(3))
    assert report["first_reply"].current.state == "fulfilled"
    assert report["first_reply"].current.fulfilled_at == T0 + h(1)
    assert report["first_reply"].current.remaining_us == 3 * HOUR * 10**6
    periodic = report["periodic_update"].current
    assert periodic.state == "active" and periodic.started_at == T0 + h(1)


def test_a_reply_at_the_due_instant_is_late() -> None:
    history = [*opened(T0, office()), Replied(T0 + h(4), "agent")]
    assert compute(history, T0 + h(5))["first_reply"].current.state == "breached"


def test_pending_ticket_pauses_resolution_but_not_first_reply() -> None:
    history = [*opened(T0, office()), StatusChanged(T0 + h(1), "pending")]
    report = compute(history, T0 + h(3))
    resolution = report["resolution"].current
    assert resolution.state == "paused" and resolution.due_at is None
    assert resolution.elapsed_us == HOUR * 10**6
    assert [(p.started_at, p.ended_at, p.status) for p in resolution.pauses] == [
        (T0 + h(1), None, "pending")
    ]
    assert report["first_reply"].current.elapsed_us == 3 * HOUR * 10**6
    resumed = compute([*history, StatusChanged(T0 + h(3), "open")], T0 + h(4))["resolution"]
    assert resumed.current.elapsed_us == 2 * HOUR * 10**6
    # 14 h left from Monday 13:00: 4 h Monday, 8 h Tuesday, 2 h Wednesday
    assert resumed.current.due_at == datetime(2026, 12, 2, 11, tzinfo=BERLIN)


def test_a_customer_follow_up_starts_next_reply() -> None:
    history = [*opened(T0, office()), Replied(T0 + h(1), "agent"), Replied(T0 + h(2), "customer")]
    nxt = compute(history, T0 + h(3))["next_reply"].current
    assert nxt.started_at == T0 + h(2) and nxt.due_at == T0 + h(4)
    answered = compute([*history, Replied(T0 + h(3), "agent")], T0 + h(5))
    assert answered["next_reply"].current.state == "fulfilled"


def test_solving_fulfils_resolution_and_reopening_resumes_it() -> None:
    history = [*opened(T0, office()), StatusChanged(T0 + h(2), "solved")]
    solved = compute(history, T0 + h(5))
    assert solved["resolution"].current.state == "fulfilled"
    assert solved["first_reply"].current.ended_by == "solved"
    reopened = compute([*history, StatusChanged(T0 + h(5), "open")], T0 + h(6))["resolution"]
    assert reopened.current.state == "active"
    assert reopened.current.elapsed_us == 3 * HOUR * 10**6  # 2 h + 1 h; solved time excluded


def test_raising_the_priority_retargets_from_that_moment_and_keeps_the_history() -> None:
    cal = office()
    history = [*opened(T0, cal), Targeted(T0 + h(2), targets(cal, first=HOUR), "urgent")]
    report = compute(history, T0 + h(2.5))["first_reply"]
    assert report.current.policy == "urgent" and report.current.started_at == T0 + h(2)
    assert report.current.due_at == T0 + h(3)
    (earlier,) = report.history
    assert earlier.ended_by == "retargeted" and earlier.elapsed_us == 2 * HOUR * 10**6
    assert earlier.policy == "standard"


def test_an_unchanged_target_on_rematch_keeps_the_measurement() -> None:
    cal = office()
    history = [*opened(T0, cal), Targeted(T0 + h(2), targets(cal), "standard")]
    report = compute(history, T0 + h(3))["first_reply"]
    assert report.history == () and report.current.started_at == T0


def test_calendar_hours_run_through_nights_and_weekends() -> None:
    from support_service.sla.calendar import CALENDAR_HOURS

    friday = datetime(2026, 11, 27, 16, tzinfo=UTC)
    first = compute(opened(friday, CALENDAR_HOURS), friday)["first_reply"].current
    assert first.due_at == friday + h(4) and first.clock == "calendar hours"


# -- properties over generated histories ---------------------------------------------------

steps = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=3 * 24 * 60),  # minutes since the previous entry
        st.sampled_from(["open", "pending", "on-hold", "solved", "agent", "customer", "retarget"]),
    ),
    max_size=25,
)


def history_of(start: datetime, plan: list[tuple[int, str]], cal: object) -> list[Entry]:
    at, entries = start, opened(start, cal)
    for minutes, what in plan:
        at += timedelta(minutes=minutes)
        if what in ("agent", "customer"):
            entries.append(Replied(at, what))  # type: ignore[arg-type]
        elif what == "retarget":
            entries.append(Targeted(at, targets(cal, first=minutes % 7 * HOUR + HOUR), "other"))
        else:
            entries.append(StatusChanged(at, what))
    return entries


def end_of(history: list[Entry]) -> datetime:
    return history[-1].at + timedelta(hours=5)


def flatten(report: dict) -> list:  # type: ignore[type-arg]
    return [(m, r.current, r.history) for m, r in sorted(report.items())]


@settings(max_examples=150, deadline=None)
@given(plan=steps, start_minutes=st.integers(0, 365 * 24 * 60))
def test_elapsed_plus_remaining_is_the_target_for_every_history(
    plan: list[tuple[int, str]], start_minutes: int
) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=start_minutes)
    history = history_of(start, plan, office())
    for report in compute(history, end_of(history)).values():
        for m in (report.current, *report.history):
            assert m.elapsed_us + m.remaining_us == m.target_us
            assert m.elapsed_us >= 0
            if m.state == "breached":
                assert m.breached_at is not None and m.remaining_us <= 0
            if m.due_at is not None and m.state == "active":
                assert m.due_at >= m.started_at


@settings(max_examples=100, deadline=None)
@given(plan=steps, pause_at=st.integers(0, 24), weeks=st.integers(1, 3))
def test_paused_time_never_counts(plan: list[tuple[int, str]], pause_at: int, weeks: int) -> None:
    # Lengthening a pending spell by whole weeks (UTC hours, no holidays: every week alike)
    # changes no paused metric's elapsed time.
    cal = BusinessCalendar("UTC", HOURS)
    start = datetime(2026, 2, 2, 9, tzinfo=UTC)
    plan = [*plan[:pause_at], (30, "pending"), (60, "open"), *plan[pause_at:]]
    i = min(pause_at, len(plan) - 2) + 1  # the entry that ends the pause
    longer = [*plan[:i], (plan[i][0] + weeks * 7 * 24 * 60, plan[i][1]), *plan[i + 1 :]]
    short, long_ = history_of(start, plan, cal), history_of(start, longer, cal)
    a = compute(short, end_of(short))["resolution"]
    b = compute(long_, end_of(long_))["resolution"]
    for x, y in zip((a.current, *a.history), (b.current, *b.history), strict=True):
        assert x.elapsed_us == y.elapsed_us
        assert len(x.pauses) == len(y.pauses)


@settings(max_examples=60, deadline=None)
@given(plan=steps, start_minutes=st.integers(0, 365 * 24 * 60), days=st.integers(0, 6))
def test_recomputing_after_a_calendar_change_equals_a_fresh_computation(
    plan: list[tuple[int, str]], start_minutes: int, days: int
) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=start_minutes)
    history = history_of(start, plan, office())
    now = end_of(history)
    compute(history, now)  # the old calendar's timeline is built and used
    holiday = frozenset({(start + timedelta(days=days)).date()})
    cal = office(holidays=holiday)
    changed = [
        Targeted(e.at, {m: replace(t, clock=cal) for m, t in e.targets.items()}, e.policy)
        if isinstance(e, Targeted)
        else e
        for e in history
    ]
    fresh = history_of(start, plan, office(holidays=holiday))
    assert flatten(compute(changed, now)) == flatten(compute(fresh, now))


def test_an_ola_is_owed_anew_when_its_policy_applies_and_fulfilled_when_handed_back() -> None:
    cal = office()
    ola = {"first_reply": Target(4 * HOUR, cal), "resolution": Target(8 * HOUR, cal)}
    history = [
        Opened(T0),
        Replied(T0 + h(0.5), "agent"),  # first line answered the customer
        Targeted(T0 + h(1), ola, "second-line", handover=True),
    ]
    report = compute(history, T0 + h(2))
    assert report["first_reply"].current.started_at == T0 + h(1)
    assert report["first_reply"].current.due_at == T0 + h(5)
    handed_back = compute([*history, Targeted(T0 + h(3), {}, None, handover=True)], T0 + h(4))
    resolution = handed_back["resolution"].current
    assert resolution.state == "fulfilled" and resolution.ended_by == "untargeted"
    assert resolution.elapsed_us == 2 * HOUR * 10**6


def test_a_due_time_across_the_spring_dst_weekend_keeps_local_opening_hours() -> None:
    friday_four = datetime(2026, 3, 27, 16, tzinfo=BERLIN)  # clocks go forward on Sunday
    first = compute(opened(friday_four, office()), friday_four)["first_reply"].current
    assert first.due_at == datetime(2026, 3, 30, 12, tzinfo=BERLIN)  # 1 h Fri + 3 h Mon
    assert first.due_at.utcoffset() != friday_four.utcoffset()  # type: ignore[union-attr]


def test_a_due_time_across_easter_skips_good_friday_and_easter_monday() -> None:
    thursday_four = datetime(2026, 4, 2, 16, tzinfo=BERLIN)
    first = compute(opened(thursday_four, office()), thursday_four)["first_reply"].current
    assert first.due_at == datetime(2026, 4, 7, 12, tzinfo=BERLIN)
