"""Rotting (S5): a deal idle in a stage longer than the stage's ``rotting_days``.

An idle spell starts when the deal enters a stage (or is last touched there); the job for
it is due ``rotting_days`` later. The job's payload names the spell's start, so a job of
a spell that has since ended (the deal moved) does nothing, and a deal already flagged in
this spell is never flagged, nor announced, twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

JOB = "sales.deal.rotting"


def dedupe_key(deal_id: object) -> str:
    return f"deal-rotting:{deal_id}"


def rots_at(idle_since: datetime, rotting_days: int | None) -> datetime | None:
    """When a deal idle since ``idle_since`` starts rotting (None: the stage never rots)."""
    if rotting_days is None or rotting_days <= 0:
        return None
    return idle_since + timedelta(days=rotting_days)


def should_flag(
    *,
    spell: datetime,
    idle_since: datetime,
    rotting_since: datetime | None,
    closed: bool,
    rotting_days: int | None,
) -> bool:
    """Whether the job of the spell starting at ``spell`` flags the deal when it runs
    (a job runs at its due time, ``rots_at(spell, rotting_days)``)."""
    return (
        not closed
        and spell == idle_since
        and rotting_since is None
        and rots_at(idle_since, rotting_days) is not None
    )
