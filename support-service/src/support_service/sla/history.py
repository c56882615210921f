"""A ticket's stored history as the SLA clock's entries, and the policy targets a ticket
gets, in the form the history keeps them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from support_service.sla.calendar import CALENDAR_HOURS, Clock
from support_service.sla.clock import Entry, Opened, Replied, StatusChanged, Target, Targeted

KINDS = ("sla", "ola")


def targets_for(policy: Any | None, ticket: Any, kind: str, calendar_id: UUID | None) -> dict:
    """The ``targeted`` history data of ``policy`` for ``ticket`` (at its priority).

    Targets in business hours run on the policy's calendar, else on the queue's
    (``calendar_id``), else round the clock."""
    if policy is None:
        return {"kind": kind, "policy_id": None, "policy": None, "targets": {}}
    calendar = policy.calendar_id or calendar_id
    targets = {
        t["metric"]: {
            "seconds": int(t["minutes"]) * 60,
            "calendar_id": str(calendar) if t.get("business_hours", True) and calendar else None,
            "pause_on": sorted(policy.pause_on.get(t["metric"], [])),
            "warn_share": policy.warn_share,
        }
        for t in policy.targets
        if t["priority"] == ticket.priority
    }
    return {"kind": kind, "policy_id": str(policy.id), "policy": policy.name, "targets": targets}


def calendar_ids(rows: Iterable[Any]) -> set[UUID]:
    return {
        UUID(t["calendar_id"])
        for row in rows
        if row.kind == "targeted"
        for t in row.data["targets"].values()
        if t.get("calendar_id")
    }


def last_targeted(rows: Sequence[Any], kind: str) -> dict | None:
    for row in reversed(rows):
        if row.kind == "targeted" and row.data["kind"] == kind:
            return dict(row.data)
    return None


def entries(rows: Iterable[Any], kind: str, clocks: Mapping[UUID, Clock]) -> list[Entry]:
    """The clock's entries of one kind of policy (``sla`` or ``ola``) from history rows."""
    out: list[Entry] = []
    for row in rows:
        data = row.data
        if row.kind == "opened":
            out.append(Opened(row.at, data.get("status", "new")))
        elif row.kind == "status":
            out.append(StatusChanged(row.at, data["to"]))
        elif row.kind == "message" and (data.get("public") or kind == "ola"):
            # Between teams, an internal note is an answer too.
            out.append(Replied(row.at, "agent" if data["author"] == "agent" else "customer"))
        elif row.kind == "targeted" and data["kind"] == kind:
            targets = {
                metric: Target(
                    t["seconds"],
                    _clock(t.get("calendar_id"), clocks),
                    frozenset(t.get("pause_on", ())),
                    t.get("warn_share", 0.75),
                )
                for metric, t in data["targets"].items()
            }
            out.append(Targeted(row.at, targets, data.get("policy_id"), handover=kind == "ola"))
    return out


def _clock(calendar_id: str | None, clocks: Mapping[UUID, Clock]) -> Clock:
    # A deleted calendar's targets fall back to calendar hours rather than vanish.
    return clocks.get(UUID(calendar_id), CALENDAR_HOURS) if calendar_id else CALENDAR_HOURS
