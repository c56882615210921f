"""The life of a lead (S1): which status may follow which.

``converted`` is reached only by converting (``POST /v1/leads/{id}/convert``), and a
converted lead is read-only; a disqualified lead may be reopened (``working``).
"""

from __future__ import annotations

NEXT: dict[str, frozenset[str]] = {
    "new": frozenset({"working", "qualified", "disqualified"}),
    "working": frozenset({"new", "qualified", "disqualified"}),
    "qualified": frozenset({"working", "disqualified"}),
    "disqualified": frozenset({"working"}),
    "converted": frozenset(),
}


def may_move(current: str, new: str) -> bool:
    return current == new or new in NEXT[current]


def may_convert(status: str) -> bool:
    return status in ("new", "working", "qualified")
