"""Choosing an agent for a ticket (V2): pure rules over the candidates and their loads.

Every strategy skips agents at capacity; the reason says which rule chose and why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class Choice:
    agent: Any | None
    reason: str


def choose(
    strategy: str,
    agents: Sequence[Any],
    loads: Mapping[UUID, int],
    *,
    needed_skills: Sequence[str] = (),
    last_agent_id: UUID | None = None,
) -> Choice:
    free = [a for a in agents if loads.get(a.user_id, 0) < a.capacity]
    if not free:
        return Choice(None, "no available agent with free capacity")
    needed = set(needed_skills)
    if strategy == "skill_match":
        scored = sorted(free, key=lambda a: (-len(needed & set(a.skills)), loads.get(a.user_id, 0)))
        best = scored[0]
        have = sorted(needed & set(best.skills))
        return Choice(
            best,
            f"skill match: {len(have)} of {len(needed)} skills ({', '.join(have) or 'none'}), "
            f"load {loads.get(best.user_id, 0)}/{best.capacity}",
        )
    if strategy == "least_load":
        best = min(free, key=lambda a: (loads.get(a.user_id, 0) / max(a.capacity, 1), a.name))
        return Choice(best, f"least load: {loads.get(best.user_id, 0)}/{best.capacity} open")
    ids = [a.id for a in agents]
    start = ids.index(last_agent_id) + 1 if last_agent_id in ids else 0
    ring = [*agents[start:], *agents[:start]]
    best = next(a for a in ring if a in free)
    return Choice(best, f"round robin: next of {len(agents)} agents in the queue")
