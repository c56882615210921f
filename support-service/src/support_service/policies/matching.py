"""Which policy applies to a ticket: the first, in order, whose conditions all hold."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def matches(conditions: Mapping[str, Any], ticket: Any) -> bool:
    for field, wanted in conditions.items():
        if wanted is None:
            continue
        allowed = {str(w) for w in wanted}
        if field == "tags":
            if not allowed & set(ticket.tags or ()):
                return False
        elif str(getattr(ticket, field)) not in allowed:
            return False
    return True


def first_match(policies: Iterable[Any], ticket: Any) -> Any | None:
    return next((p for p in policies if matches(p.conditions or {}, ticket)), None)
