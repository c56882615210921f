"""Assignment use cases: rules and queues as resources, and assigning a lead by them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.crud import Call, Crud, View
from crm_chassis.errors import ValidationFailed
from crm_chassis.orm import utcnow
from crm_proto.events import sales

from sales_service.assignment import engine
from sales_service.assignment.repository import QueueRepository, RuleRepository
from sales_service.assignment.schemas import QueueRead, QueueWrite, RuleRead, RuleWrite
from sales_service.common.events import SOURCE, lifecycle_events
from sales_service.leads.models import Lead


class Rules(Crud[Any]):
    async def check_create(self, call: Call, data: Any) -> None:
        await _check_queue(call, data.queue_id)

    async def check_patch(self, call: Call, entity: Any, model: Any, changed: list[str]) -> None:
        if "queue_id" in changed:
            await _check_queue(call, model.queue_id)


async def _check_queue(call: Call, queue_id: UUID | None) -> None:
    if queue_id is not None and not await QueueRepository(call.session, call.actor).exists(
        queue_id
    ):
        raise ValidationFailed(
            "No such queue", errors=[{"field": "queue_id", "message": "no such queue"}]
        )


RULES = Rules(
    RuleRepository,
    View("assignment_rule", RuleRead, path="/v1/assignment-rules"),
    RuleWrite,
    lifecycle_events("assignment_rule"),
    columns=lambda data: (
        data.model_dump(mode="python")
        | {"conditions": [c.model_dump(mode="json") for c in data.conditions]}
    ),
)
QUEUES = Crud(
    QueueRepository,
    View("assignment_queue", QueueRead, path="/v1/assignment-queues"),
    QueueWrite,
    lifecycle_events("assignment_queue"),
    columns=lambda data: data.model_dump(mode="json"),
)


def facts_of(lead: Lead) -> dict[str, Any]:
    """The lead as rules see it: its fields, ``estimated_value`` as its amount."""
    value = lead.estimated_value
    return {
        "first_name": lead.first_name, "last_name": lead.last_name, "email": lead.email,
        "phone": lead.phone, "company": lead.company, "title": lead.title,
        "website": lead.website, "country": lead.country, "territory": lead.territory,
        "source": lead.source, "status": lead.status, "rating": lead.rating,
        "estimated_value": None if value is None else value.amount,
        "currency": None if value is None else value.currency,
        "qualification": lead.qualification, "custom": lead.custom,
    }  # fmt: skip


async def assign(call: Call, lead: Lead) -> engine.Decision:
    """Give ``lead`` an owner by the tenant's rules and record which rule fired."""
    rows = await RuleRepository(call.session, call.actor).active_in_order()
    rules = [
        engine.Rule(
            r.id,
            r.name,
            tuple(engine.Condition(**c) for c in r.conditions),
            owner_id=r.owner_id,
            queue_id=r.queue_id,
        )
        for r in rows
    ]
    facts = facts_of(lead)
    fired = next((r for r in rules if all(engine.holds(c, facts) for c in r.conditions)), None)
    queue_ids = [fired.queue_id] if fired and fired.queue_id else []
    queue_rows = await QueueRepository(call.session, call.actor).locked(queue_ids)
    queues = {
        q.id: engine.Queue(
            q.id,
            q.name,
            tuple(UUID(m) for m in q.members),
            frozenset(UUID(m) for m in q.unavailable),
            q.last_assigned,
        )
        for q in queue_rows
    }
    decision = engine.decide(facts, rules, queues)
    for queue in queue_rows:
        if queue.id == decision.queue_id and decision.owner_id is not None:
            queue.last_assigned = decision.owner_id
    if decision.owner_id is not None:
        lead.owner_id = decision.owner_id
    lead.assignment = {
        "rule_id": str(decision.rule_id) if decision.rule_id else None,
        "rule_name": decision.rule_name,
        "queue_id": str(decision.queue_id) if decision.queue_id else None,
        "owner_id": str(decision.owner_id) if decision.owner_id else None,
        "reasons": list(decision.reasons),
        "assigned_at": utcnow().isoformat(),
    }
    return decision


def assigned_event(lead: Lead, decision: engine.Decision) -> Any:
    data = sales.LeadAssigned(
        lead_id=lead.id,
        owner_id=decision.owner_id,
        rule_id=decision.rule_id,
        rule_name=decision.rule_name,
        queue_id=decision.queue_id,
        reasons=list(decision.reasons),
    )
    return SOURCE.event(
        "crm.sales.lead.assigned.v1", data, tenant_id=lead.tenant_id, subject=lead.id
    )
