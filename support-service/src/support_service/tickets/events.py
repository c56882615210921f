"""The events published about tickets, built from proto."""

from __future__ import annotations

from typing import Any

from crm_proto import CloudEvent
from crm_proto.events import activity, support
from pydantic import BaseModel

from support_service.events import SOURCE
from support_service.tickets.models import Ticket, TicketMessage


def _event(name: str, ticket: Ticket, data: BaseModel) -> CloudEvent:
    return SOURCE.event(
        f"crm.support.ticket.{name}.v1",
        data,
        tenant_id=ticket.tenant_id,
        subject=ticket.id,
        sequence=ticket.version,
    )


def _about(ticket: Ticket) -> dict[str, Any]:
    return {"contact_id": ticket.requester_id, "account_id": ticket.organisation_id}


def created(ticket: Ticket) -> CloudEvent:
    data = activity.TicketCreated(
        ticket_id=ticket.id,
        number=str(ticket.number),
        subject=ticket.subject,
        priority=ticket.priority,
        channel=ticket.channel,
        **_about(ticket),
    )
    return _event("created", ticket, data)


def updated(ticket: Ticket, changed: list[str]) -> CloudEvent:
    snapshot = support.TicketSnapshot.model_validate(ticket, from_attributes=True)
    return _event("updated", ticket, support.TicketUpdated(ticket=snapshot, changed=changed))


def deleted(ticket: Ticket) -> CloudEvent:
    return SOURCE.event(
        "crm.support.ticket.deleted.v1",
        support.TicketDeleted(id=ticket.id),
        tenant_id=ticket.tenant_id,
        subject=ticket.id,
        sequence=ticket.version + 1,
    )


def status_changed(ticket: Ticket, was: str, reopened: bool) -> CloudEvent:
    data = support.TicketStatusChanged(
        ticket_id=ticket.id,
        from_status=was,
        to_status=ticket.status,
        reopened=reopened,
        **_about(ticket),
    )
    return _event("status_changed", ticket, data)


def assigned(ticket: Ticket, previous: Any, reason: str) -> CloudEvent:
    data = support.TicketAssigned(
        ticket_id=ticket.id,
        queue_id=ticket.queue_id,
        assignee_id=ticket.owner_id,
        previous_assignee_id=previous,
        reason=reason,
    )
    return _event("assigned", ticket, data)


def message_added(ticket: Ticket, message: TicketMessage) -> CloudEvent:
    data = support.TicketMessageAdded(
        ticket_id=ticket.id,
        message_id=message.id,
        author=message.author,
        public=message.public,
        contact_id=ticket.requester_id,
        channel=ticket.channel,
    )
    return _event("message_added", ticket, data)


def sla_event(name: str, ticket: Ticket, metric: support.SlaMetric, **extra: Any) -> CloudEvent:
    model = support.TicketSlaWarning if name == "sla_warning" else support.TicketSlaBreached
    return _event(name, ticket, model(ticket_id=ticket.id, metric=metric, **extra))
