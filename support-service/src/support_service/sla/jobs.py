"""The SLA's timed work (V5): warnings, breaches with their escalations, and the closing
of quiet solved tickets. Each handler recomputes the clock before acting, so a job left
behind by a change it did not hear of does nothing wrong."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from crm_chassis.auth import Actor
from crm_chassis.crud import Call
from crm_chassis.jobs import Job, JobHandler
from crm_chassis.orm import utcnow
from crm_chassis.outbox import emit
from crm_proto.events.support import SlaMetric
from sqlalchemy.ext.asyncio import AsyncSession

from support_service.policies.repository import SlaPolicyRepository
from support_service.sla import service as sla
from support_service.sla.clock import Measurement
from support_service.sla.explain import seconds
from support_service.tickets import events
from support_service.tickets.repository import TicketEventRepository, TicketRepository
from support_service.tickets.schemas import PRIORITIES


def _call(session: AsyncSession, job: Job) -> Call:
    assert job.tenant_id is not None
    return Call(session=session, actor=Actor.system(job.tenant_id))


def _at(job: Job) -> datetime:
    # Never earlier than the due time: the clock is asked about the moment the job is for.
    return max(job.due_at, utcnow())


async def _measure(call: Call, job: Job) -> tuple[Any, Measurement | None, datetime]:
    at = _at(job)
    ticket = await TicketRepository(call.session, call.actor).get(
        UUID(job.payload["ticket_id"]), for_update=True
    )
    if ticket is None:
        return None, None, at
    rows = await TicketEventRepository(call.session, call.actor).of(ticket.id)
    report = (await sla.reports(call, ticket, rows, at))[job.payload["kind"]].get(
        job.payload["metric"]
    )
    return ticket, (report.current if report else None), at


def _metric(m: Measurement, kind: str) -> SlaMetric:
    return SlaMetric(
        metric=m.metric, policy_id=m.policy, target_seconds=seconds(m.target_us),
        elapsed_seconds=seconds(m.elapsed_us), due_at=m.due_at, kind=kind,
    )  # fmt: skip


async def on_warning(session: AsyncSession, job: Job) -> None:
    call = _call(session, job)
    ticket, m, at = await _measure(call, job)
    if ticket is None or m is None or m.state != "active" or m.warn_at is None:
        return
    if m.warn_at > at:  # the clock moved later meanwhile
        await sla.refresh(call, ticket, at)
        return
    await emit(session, events.sla_event("sla_warning", ticket, _metric(m, job.payload["kind"])))


async def on_breach(session: AsyncSession, job: Job) -> None:
    call = _call(session, job)
    ticket, m, at = await _measure(call, job)
    if ticket is None or m is None:
        return
    if m.state != "breached":
        await sla.refresh(call, ticket, at)  # fulfilled, paused or moved: re-time it
        return
    actions = await _escalate(call, ticket, m, at)
    await emit(session, events.sla_event(
        "sla_breached", ticket, _metric(m, job.payload["kind"]), actions=actions,
        assignee_id=ticket.owner_id, queue_id=ticket.queue_id,
    ))  # fmt: skip


async def _escalate(call: Call, ticket: Any, m: Measurement, at: datetime) -> list[str]:
    from support_service.routing.service import route

    policy = None
    if m.policy:
        policy = await SlaPolicyRepository(call.session, call.actor).get(UUID(m.policy))
    escalation = policy.escalation if policy is not None else {}
    actions: list[str] = []
    log = TicketEventRepository(call.session, call.actor)
    queue = escalation.get("reassign_queue_id")
    if queue and str(ticket.queue_id) != queue:
        log.add(ticket, "queue_id", {"from": str(ticket.queue_id), "to": queue,
                                     "reason": f"{m.metric} breached"}, at=at)  # fmt: skip
        ticket.queue_id, ticket.owner_id = UUID(queue), None
        await route(call, ticket, at=at)
        actions.append("reassigned")
    if escalation.get("raise_priority") and ticket.priority != PRIORITIES[-1]:
        raised = PRIORITIES[PRIORITIES.index(ticket.priority) + 1]
        log.add(ticket, "priority", {"from": ticket.priority, "to": raised,
                                     "reason": f"{m.metric} breached"}, at=at)  # fmt: skip
        ticket.priority = raised
        actions.append("priority_raised")
    if escalation.get("notify"):
        actions.append("notified")
    log.add(ticket, "breached", {"metric": m.metric, "policy_id": m.policy, "actions": actions},
            at=at)  # fmt: skip
    changed = sorted(
        {"reassigned": "queue_id", "priority_raised": "priority"}[a]
        for a in actions
        if a != "notified"
    )
    if changed:
        await call.session.flush()
        await emit(call.session, events.updated(ticket, changed))
        await sla.refresh(call, ticket, at)
    return actions


async def on_close(session: AsyncSession, job: Job) -> None:
    from support_service.tickets.service import move

    call = _call(session, job)
    ticket = await TicketRepository(call.session, call.actor).get(
        UUID(job.payload["ticket_id"]), for_update=True
    )
    if ticket is not None and ticket.status == "solved":
        await move(call, ticket, "closed", at=_at(job))
        await sla.refresh(call, ticket, _at(job))


def job_handlers() -> dict[str, JobHandler]:
    from support_service.tickets.service import CLOSE_JOB

    return {sla.WARNING_JOB: on_warning, sla.BREACH_JOB: on_breach, CLOSE_JOB: on_close}
