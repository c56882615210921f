"""Lead assignment (S2), as pure rules: the first rule whose conditions all hold fires.

A rule assigns to a user, or to a queue whose available members take leads in turn
(round-robin from the member after the last one assigned, skipping unavailable reps).
The decision says which rule fired and why, so ``GET /v1/leads/{id}/assignment`` can
explain it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

OPERATORS = ("eq", "neq", "in", "not_in", "gt", "gte", "lt", "lte", "contains", "exists")


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str
    value: Any = None


@dataclass(frozen=True)
class Rule:
    id: UUID
    name: str
    conditions: tuple[Condition, ...]
    owner_id: UUID | None = None
    queue_id: UUID | None = None


@dataclass(frozen=True)
class Queue:
    id: UUID
    name: str
    members: tuple[UUID, ...]
    unavailable: frozenset[UUID] = frozenset()
    last_assigned: UUID | None = None


@dataclass(frozen=True)
class Decision:
    rule_id: UUID | None
    rule_name: str | None
    owner_id: UUID | None
    queue_id: UUID | None = None
    reasons: tuple[str, ...] = field(default_factory=tuple)


def value_of(lead: Mapping[str, Any], path: str) -> Any:
    """A lead's value at ``path`` (``country``, ``custom.tier``)."""
    value: Any = lead
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def holds(condition: Condition, lead: Mapping[str, Any]) -> bool:
    """Whether ``condition`` holds for ``lead``; text compares case-insensitively."""
    actual, op, wanted = value_of(lead, condition.field), condition.operator, condition.value
    if op == "exists":
        return (actual not in (None, "")) is bool(wanted)
    if actual is None:
        return op in ("neq", "not_in")
    if op in ("eq", "neq"):
        same = _fold(str(actual) if isinstance(wanted, str) else actual) == _fold(wanted)
        return same if op == "eq" else not same
    if op in ("in", "not_in"):
        inside = _fold(actual) in {_fold(v) for v in wanted or ()}
        return inside if op == "in" else not inside
    if op == "contains":
        return isinstance(actual, str) and str(wanted).casefold() in actual.casefold()
    a, b = _number(actual), _number(wanted)
    if a is None or b is None:
        return False
    return {"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[op]


def describe(condition: Condition) -> str:
    return f"{condition.field} {condition.operator} {condition.value!r}"


def next_member(queue: Queue) -> UUID | None:
    """The queue's next available member after the last one assigned (round-robin)."""
    members = list(queue.members)
    if not members:
        return None
    start = members.index(queue.last_assigned) + 1 if queue.last_assigned in members else 0
    for offset in range(len(members)):
        candidate = members[(start + offset) % len(members)]
        if candidate not in queue.unavailable:
            return candidate
    return None


def decide(
    lead: Mapping[str, Any], rules: Sequence[Rule], queues: Mapping[UUID, Queue]
) -> Decision:
    """The assignment of ``lead`` by the first matching rule of ``rules`` (in order)."""
    for rule in rules:
        if not all(holds(c, lead) for c in rule.conditions):
            continue
        matched = tuple(describe(c) for c in rule.conditions) or ("the rule has no conditions",)
        if rule.owner_id is not None:
            return Decision(rule.id, rule.name, rule.owner_id, None, matched)
        queue = queues.get(rule.queue_id) if rule.queue_id else None
        if queue is None:
            continue
        owner = next_member(queue)
        if owner is None:
            reasons = (*matched, f"queue {queue.name!r} has no available member")
            return Decision(rule.id, rule.name, None, queue.id, reasons)
        skipped = [m for m in queue.members if m in queue.unavailable]
        note = f"round-robin in queue {queue.name!r}"
        if skipped:
            note += f", skipping {len(skipped)} unavailable"
        return Decision(rule.id, rule.name, owner, queue.id, (*matched, note))
    return Decision(None, None, None, None, ("no rule matched",))
