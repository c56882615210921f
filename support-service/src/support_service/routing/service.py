"""Routing use cases (V2): queues and agents as resources, and choosing an agent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crm_chassis.crud import Call, Crud, View
from crm_chassis.entity_events import EntityEvents
from crm_chassis.outbox import emit
from crm_proto.events import support

from support_service.events import SOURCE
from support_service.routing.repository import AgentRepository, QueueRepository
from support_service.routing.schemas import AgentRead, AgentWrite, QueueRead, QueueWrite
from support_service.routing.strategies import Choice, choose

QUEUES: Crud[Any] = Crud(
    QueueRepository,
    View("queue", QueueRead, path="/v1/queues"),
    QueueWrite,
    EntityEvents.of(SOURCE, "crm.support.queue", support),
)
AGENTS: Crud[Any] = Crud(
    AgentRepository,
    View("agent", AgentRead, path="/v1/agents"),
    AgentWrite,
    EntityEvents.of(SOURCE, "crm.support.agent", support),
)


async def route(call: Call, ticket: Any, *, at: datetime) -> Choice:
    """Assign ``ticket`` to an agent of its queue by the queue's strategy; the reason is
    kept in the ticket's history and its ``assigned`` event."""
    from support_service.tickets import events
    from support_service.tickets.repository import TicketEventRepository

    if ticket.queue_id is None:
        choice = Choice(None, "no queue to route from")
    else:
        queue = await QueueRepository(call.session, call.actor).require(ticket.queue_id)
        agents = AgentRepository(call.session, call.actor)
        candidates = await agents.candidates(queue.id)
        loads = await agents.loads([a.user_id for a in candidates])
        choice = choose(queue.strategy, candidates, loads, needed_skills=queue.skills,
                        last_agent_id=queue.last_agent_id)  # fmt: skip
        if choice.agent is not None:
            queue.last_agent_id = choice.agent.id
            ticket.team_id = ticket.team_id or queue.team_id
    previous = ticket.owner_id
    if choice.agent is not None:
        ticket.owner_id = choice.agent.user_id
    TicketEventRepository(call.session, call.actor).add(
        ticket, "assigned",
        {"queue_id": _str(ticket.queue_id), "assignee_id": _str(ticket.owner_id),
         "reason": choice.reason},
        at=at, actor_id=call.actor.user_id,
    )  # fmt: skip
    await call.session.flush()
    await emit(call.session, events.assigned(ticket, previous, choice.reason))
    return choice


def _str(value: Any) -> str | None:
    return None if value is None else str(value)
