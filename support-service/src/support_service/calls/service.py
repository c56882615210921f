"""Call records (V6): logged through the chassis' CRUD (the timeline's ``call.logged``
event), a call can open a ticket, screen-pop and click-to-dial ask contacts-service."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.crud import Call, Crud, View
from crm_chassis.entity_events import EntityEvents
from crm_chassis.errors import Conflict
from crm_chassis.internal_http import InternalCalls
from crm_chassis.outbox import emit
from crm_proto import CloudEvent
from crm_proto.events import activity, support

from support_service.calls.models import PhoneCall
from support_service.calls.repository import CallRepository
from support_service.calls.schemas import CallRead, CallWrite, DialTarget, ScreenPop
from support_service.events import SOURCE
from support_service.tickets import service as tickets
from support_service.tickets.repository import TicketRepository
from support_service.tickets.schemas import TicketCreate
from support_service.tickets.transitions import UNSOLVED


class CallEvents(EntityEvents):
    def created(self, entity: Any) -> CloudEvent:
        data = activity.CallLogged(
            call_id=entity.id, direction=entity.direction,
            number=entity.from_number if entity.direction == "inbound" else entity.to_number,
            started_at=entity.started_at, duration_seconds=entity.duration_seconds,
            outcome=entity.outcome, ticket_id=entity.ticket_id, contact_id=entity.contact_id,
        )  # fmt: skip
        return SOURCE.event("crm.support.call.logged.v1", data, tenant_id=entity.tenant_id,
                            subject=entity.id, sequence=entity.version)  # fmt: skip


EVENTS = CallEvents(SOURCE, "crm.support.call", support.CallSnapshot, "call",
                    created=activity.CallLogged, updated=support.CallUpdated,
                    deleted=support.CallDeleted)  # fmt: skip
VIEW = View("call", CallRead, path="/v1/calls")
CALLS: Crud[Any] = Crud(CallRepository, VIEW, CallWrite, EVENTS)


async def open_ticket(call: Call, id_: UUID, subject: str | None) -> Any:
    record: PhoneCall = await CallRepository(call.session, call.actor).require(id_, for_update=True)
    if record.ticket_id is not None:
        raise Conflict(f"Call {id_} already has ticket {record.ticket_id}")
    number = record.from_number if record.direction == "inbound" else record.to_number
    ticket = await tickets.create(call, TicketCreate(
        subject=subject or f"Call {record.direction} {number}", channel="phone",
        requester_id=record.contact_id, owner_id=record.agent_id,
    ))  # fmt: skip
    record.ticket_id = ticket.id
    await call.session.flush()
    await emit(call.session, EVENTS.updated(record, ["ticket_id"]))
    return ticket


async def screen_pop(call: Call, calls: InternalCalls, number: str) -> ScreenPop:
    found = await calls.get("contacts", "/v1/contacts/lookup", params={"phone": number})
    contacts = list(found.get("data", []))
    ids = [UUID(c["id"]) for c in contacts]
    repo = TicketRepository(call.session, call.actor)
    open_: list[dict[str, Any]] = []
    if ids:
        from support_service.tickets.models import Ticket

        stmt = repo.select().where(Ticket.requester_id.in_(ids), Ticket.status.in_(UNSOLVED))
        open_ = [{"id": str(t.id), "number": t.number, "subject": t.subject, "status": t.status}
                 for t in await repo.list(stmt.limit(20))]  # fmt: skip
    return ScreenPop(number=number, contacts=contacts, open_tickets=open_)


async def dial_target(calls: InternalCalls, contact_id: UUID) -> DialTarget:
    contact = await calls.get("contacts", f"/v1/contacts/{contact_id}")
    # contacts-service's PhoneItem: number as entered, e164 as it normalised it.
    numbers = [
        {"number": value, "uri": f"tel:{value}", "label": phone.get("label") or ""}
        for phone in contact.get("phones") or []
        if (value := phone.get("e164") or phone.get("number"))
    ]
    name = " ".join(p for p in (contact.get("first_name"), contact.get("last_name")) if p)
    return DialTarget(contact_id=contact_id, name=name or None, numbers=numbers)
