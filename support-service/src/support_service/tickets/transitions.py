"""The ticket status machine (V1): which moves are allowed, and the reopen window."""

from __future__ import annotations

from datetime import datetime, timedelta

from crm_chassis.errors import Conflict

ALLOWED: dict[str, frozenset[str]] = {
    "new": frozenset({"open", "pending", "on-hold", "solved"}),
    "open": frozenset({"pending", "on-hold", "solved"}),
    "pending": frozenset({"open", "on-hold", "solved"}),
    "on-hold": frozenset({"open", "pending", "solved"}),
    "solved": frozenset({"open", "closed"}),
    "closed": frozenset(),
}
UNSOLVED = ("new", "open", "pending", "on-hold")


def check_transition(
    current: str,
    new: str,
    *,
    solved_at: datetime | None = None,
    now: datetime | None = None,
    reopen_window: timedelta | None = None,
) -> None:
    """409 naming both states when ``current -> new`` is not allowed (a solved ticket
    reopens only within ``reopen_window`` of being solved)."""
    if new not in ALLOWED[current]:
        raise Conflict(f"A ticket cannot move from {current} to {new}")
    late = (
        reopen_window is not None
        and solved_at is not None
        and now is not None
        and now - solved_at > reopen_window
    )
    if current == "solved" and new == "open" and late:
        raise Conflict(
            f"A ticket cannot move from solved to open more than {reopen_window} "
            "after it was solved"
        )
