"""Rotting: flagged once per idle spell, never for a spell that ended or a closed deal."""

from datetime import UTC, datetime, timedelta

from sales_service.deals.rotting import rots_at, should_flag

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def flag(**kw) -> bool:
    args = {"spell": T0, "idle_since": T0, "rotting_since": None, "closed": False,
            "rotting_days": 7} | kw  # fmt: skip
    return should_flag(**args)


def test_a_deal_idle_past_its_stage_rotting_days_is_flagged() -> None:
    assert rots_at(T0, 7) == T0 + timedelta(days=7)
    assert flag()


def test_a_stage_without_rotting_days_never_rots() -> None:
    assert rots_at(T0, None) is None and rots_at(T0, 0) is None
    assert not flag(rotting_days=None)


def test_the_job_of_an_ended_spell_does_nothing() -> None:
    assert not flag(idle_since=T0 + timedelta(days=3))


def test_one_spell_is_flagged_once_and_a_closed_deal_never() -> None:
    assert not flag(rotting_since=T0 + timedelta(days=7))
    assert not flag(closed=True)
