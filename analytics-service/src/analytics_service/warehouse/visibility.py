"""The caller's visibility as a warehouse predicate: the one place that writes it.

Facts carry the owner (and for deals, the team) of the record they came from; a caller
with visibility ``own`` sees the facts of the records they own, ``team`` those of their
teams as well, ``all`` (and admins) every fact of the tenant. Facts of records nobody owns
(touchpoints, order lines) are the tenant's and visible to all of its users.
"""

from __future__ import annotations

from typing import Any

from crm_chassis.auth import Actor


def tenant_and_visibility(
    actor: Actor, *, alias: str = "f", owner: str | None = "owner_id", team: str | None = None
) -> tuple[str, list[Any]]:
    """``(sql, params)``: the tenant's rows the actor may see, for a WHERE clause."""
    params: list[Any] = [str(actor.tenant_id)]
    parts = [f"{alias}.tenant_id = ?::UUID"]
    if owner is not None and not actor.sees_all:
        params.append(str(actor.user_id))
        own = f"{alias}.{owner} = ?::UUID"
        if actor.visibility == "team" and team is not None and actor.team_ids:
            params.extend(str(t) for t in sorted(actor.team_ids))
            marks = ", ".join("?::UUID" for _ in actor.team_ids)
            own = f"({own} OR {alias}.{team} IN ({marks}))"
        parts.append(own)
    return " AND ".join(parts), params
