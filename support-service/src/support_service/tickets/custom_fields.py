"""Custom fields of tickets: the tenant's definitions (kind, options, required) and values
checked against them on every write, a 422 naming each ``custom.<key>`` (the rules are the
chassis', ``crm_chassis.custom_fields``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crm_chassis.crud import Call, View
from crm_chassis.custom_fields import FieldDefinitions, check_values
from crm_chassis.entity_events import EntityEvents
from crm_chassis.repository import TenantRepository
from crm_proto.events import support

from support_service.columns import with_json
from support_service.events import SOURCE
from support_service.tickets.models import TicketField
from support_service.tickets.schemas import TicketFieldRead, TicketFieldWrite


class TicketFieldRepository(TenantRepository[TicketField]):
    model = TicketField
    label = "ticket field"
    sortable = {"created_at": TicketField.created_at, "key": TicketField.key}


async def definitions(call: Call) -> dict[str, TicketField]:
    return {f.key: f for f in await TicketFieldRepository(call.session, call.actor).list()}


async def check_custom(call: Call, custom: Mapping[str, Any], *, required: bool = True) -> None:
    """422 naming each ``custom.<key>`` that is undefined, of the wrong kind, or (with
    ``required``) required and missing; ``custom`` is the ticket's whole object after the
    write."""
    if custom or required:
        check_values(await definitions(call), custom, enforce_required=required)


TICKET_FIELDS = FieldDefinitions(
    TicketFieldRepository,
    View("ticket_field", TicketFieldRead, path="/v1/ticket-fields"),
    TicketFieldWrite,
    EntityEvents.of(SOURCE, "crm.support.ticket_field", support),
    columns=with_json("options"),
)
