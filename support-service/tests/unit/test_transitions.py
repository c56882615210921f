"""The ticket status machine and the reopen window."""

from datetime import UTC, datetime, timedelta

import pytest
from crm_chassis.errors import Conflict
from support_service.tickets.transitions import ALLOWED, check_transition

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("current", "new"),
    [("new", "closed"), ("open", "new"), ("open", "closed"), ("solved", "pending"),
     ("closed", "open"), ("pending", "new")],
)  # fmt: skip
def test_a_forbidden_move_names_both_states(current: str, new: str) -> None:
    with pytest.raises(Conflict, match=f"from {current} to {new}"):
        check_transition(current, new)


def test_every_unsolved_status_can_be_solved_and_only_solved_can_close() -> None:
    assert all("solved" in ALLOWED[s] for s in ("new", "open", "pending", "on-hold"))
    assert [s for s, targets in ALLOWED.items() if "closed" in targets] == ["solved"]
    assert ALLOWED["closed"] == frozenset()


def test_a_solved_ticket_reopens_within_the_window_only() -> None:
    window = timedelta(days=7)
    check_transition("solved", "open", solved_at=NOW - timedelta(days=6), now=NOW,
                     reopen_window=window)  # fmt: skip
    with pytest.raises(Conflict, match="from solved to open more than 7 days"):
        check_transition("solved", "open", solved_at=NOW - timedelta(days=8), now=NOW,
                         reopen_window=window)  # fmt: skip
