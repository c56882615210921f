"""The SLA clock of stored tickets: re-match, recompute, and keep the warning and breach
jobs where the clock says (V3, V5, V9). Called in the transaction of every ticket change."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from crm_chassis import jobs
from crm_chassis.crud import Call
from crm_chassis.orm import utcnow
from sqlalchemy import select

from support_service.calendars.clocks import clock_of
from support_service.calendars.repository import CalendarRepository
from support_service.policies.matching import first_match
from support_service.policies.repository import SlaPolicyRepository
from support_service.routing.repository import QueueRepository
from support_service.sla import history
from support_service.sla.clock import MetricReport, compute
from support_service.tickets.models import Ticket, TicketEvent
from support_service.tickets.repository import TicketEventRepository

WARNING_JOB = "support.sla.warning"
BREACH_JOB = "support.sla.breach"

Reports = dict[str, dict[str, MetricReport]]


async def reports(call: Call, ticket: Ticket, rows: Sequence[Any], now: datetime) -> Reports:
    """Every metric of both kinds (``sla``, ``ola``), derived from ``rows`` as of ``now``."""
    ids = sorted(history.calendar_ids(rows))
    calendars = await CalendarRepository(call.session, call.actor).get_many(ids)
    clocks = {c.id: clock_of(c) for c in calendars}
    return {kind: compute(history.entries(rows, kind, clocks), now) for kind in history.KINDS}


async def rematch(call: Call, ticket: Ticket, rows: list[Any], at: datetime) -> bool:
    """Append a ``targeted`` entry for each kind whose applicable targets changed."""
    policies = SlaPolicyRepository(call.session, call.actor)
    calendar_id = None
    if ticket.queue_id is not None:
        queue = await QueueRepository(call.session, call.actor).get(ticket.queue_id)
        calendar_id = queue.calendar_id if queue else None
    changed = False
    for kind in history.KINDS:
        policy = first_match(await policies.ordered(kind), ticket)
        data = history.targets_for(policy, ticket, kind, calendar_id)
        last = history.last_targeted(rows, kind)
        if last == data or (last is None and not data["targets"]):
            continue
        if kind == "sla":
            ticket.policy_id = policy.id if policy else None
        rows.append(
            TicketEventRepository(call.session, call.actor).add(ticket, "targeted", data, at=at)
        )
        changed = True
    return changed


async def refresh(call: Call, ticket: Ticket, at: datetime | None = None) -> Reports:
    """Re-match the ticket's policies, recompute its clocks, and move its jobs."""
    at = at or utcnow()
    await call.session.flush()
    rows = await TicketEventRepository(call.session, call.actor).of(ticket.id)
    await rematch(call, ticket, rows, at)
    await call.session.flush()
    result = await reports(call, ticket, rows, at)
    for kind, metrics in result.items():
        for metric in ("first_reply", "next_reply", "periodic_update", "resolution"):
            report = metrics.get(metric)
            await _time_jobs(call, ticket, kind, metric, report, at)
    return result


def job_key(job: str, ticket_id: UUID, kind: str, metric: str) -> str:
    return f"{job}:{ticket_id}:{kind}:{metric}"


async def _time_jobs(
    call: Call, ticket: Ticket, kind: str, metric: str, report: MetricReport | None, at: datetime
) -> None:
    current = report.current if report else None
    payload = {"ticket_id": str(ticket.id), "kind": kind, "metric": metric}
    for job, moment in (
        (BREACH_JOB, current.due_at if current else None),
        (WARNING_JOB, current.warn_at if current else None),
    ):
        key = job_key(job, ticket.id, kind, metric)
        live = current is not None and current.state == "active"
        if live and moment is not None and (job == BREACH_JOB or moment > at):
            await jobs.schedule(
                call.session, kind=job, due_at=moment, payload=payload,
                tenant_id=call.tenant_id, dedupe_key=key, replace=True,
            )  # fmt: skip
        else:
            await jobs.cancel(call.session, tenant_id=call.tenant_id, dedupe_key=key)


async def retime_calendar(call: Call, calendar_id: UUID) -> int:
    """Recompute every unsolved ticket timed on ``calendar_id``; how many."""
    on_it = (
        select(TicketEvent.ticket_id)
        .where(
            TicketEvent.tenant_id == call.tenant_id,
            TicketEvent.kind == "targeted",
            TicketEvent.data["targets"].astext.contains(str(calendar_id)),
        )
        .distinct()
    )
    stmt = select(Ticket).where(
        Ticket.tenant_id == call.tenant_id,
        Ticket.id.in_(on_it),
        Ticket.status.in_(["new", "open", "pending", "on-hold"]),
    )
    tickets = list((await call.session.execute(stmt)).scalars())
    for ticket in tickets:
        await refresh(call, ticket)
    return len(tickets)
