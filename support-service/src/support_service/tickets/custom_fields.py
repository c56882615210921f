"""Custom fields of tickets: the tenant's definitions (kind, options, required), values
checked against them on every write (a 422 naming each ``custom.<key>``), and the typed
targets the search compiler needs.

The value rules are those of sales' lead fields (sales_service.leads.custom_fields), plus
``required``; both belong in the chassis (see the README's support section)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from crm_chassis.crud import Call, Crud, View
from crm_chassis.entity_events import EntityEvents
from crm_chassis.errors import Conflict, ValidationFailed
from crm_chassis.repository import TenantRepository
from crm_chassis.search import CustomField, Kind
from crm_proto.events import support

from support_service.columns import with_json
from support_service.events import SOURCE
from support_service.tickets.models import TicketField
from support_service.tickets.schemas import TicketFieldRead, TicketFieldWrite

KINDS = {"text": Kind.TEXT, "number": Kind.NUMBER, "bool": Kind.BOOL, "date": Kind.DATE,
         "enum": Kind.ENUM}  # fmt: skip


class TicketFieldRepository(TenantRepository[TicketField]):
    model = TicketField
    label = "ticket field"
    sortable = {"created_at": TicketField.created_at, "key": TicketField.key}


async def definitions(call: Call) -> dict[str, TicketField]:
    return {f.key: f for f in await TicketFieldRepository(call.session, call.actor).list()}


def search_fields(defs: Mapping[str, TicketField]) -> dict[str, CustomField]:
    return {k: CustomField(k, KINDS[f.kind], tuple(f.options)) for k, f in defs.items()}


def _problem(field: TicketField, value: Any) -> str | None:
    if value is None:
        return "required" if field.required else None
    if field.kind == "text":
        return None if isinstance(value, str) and len(value) <= 2000 else "must be text"
    if field.kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else "must be a number"
    if field.kind == "bool":
        return None if isinstance(value, bool) else "must be true or false"
    if field.kind == "date":
        try:
            dt.date.fromisoformat(value)
            return None
        except (TypeError, ValueError):
            return "must be a date (YYYY-MM-DD)"
    return None if value in field.options else f"must be one of {', '.join(field.options)}"


async def check_custom(call: Call, custom: Mapping[str, Any], *, required: bool = True) -> None:
    """422 naming each ``custom.<key>`` that is undefined, of the wrong kind, or (with
    ``required``) required and missing; ``custom`` is the ticket's whole object after the
    write."""
    if not custom and not required:
        return
    defs = await definitions(call)
    errors = []
    must = {k for k, f in defs.items() if f.required} if required else set()
    for key in sorted(set(custom) | must):
        field = defs.get(key)
        problem = "no such custom field" if field is None else _problem(field, custom.get(key))
        if problem:
            errors.append({"field": f"custom.{key}", "message": problem})
    if errors:
        raise ValidationFailed("Custom fields did not validate", errors=errors)


class TicketFields(Crud[TicketField]):
    async def check_create(self, call: Call, data: Any) -> None:
        if data.kind == "enum" and not data.options:
            raise ValidationFailed(
                "An enum field needs options",
                errors=[{"field": "options", "message": "an enum needs options"}],
            )

    async def check_patch(self, call: Call, entity: Any, model: Any, changed: list[str]) -> None:
        if "key" in changed or "kind" in changed:
            raise Conflict("A custom field's key and kind are fixed once created")
        await self.check_create(call, model)


TICKET_FIELDS = TicketFields(
    TicketFieldRepository,
    View("ticket_field", TicketFieldRead, path="/v1/ticket-fields"),
    TicketFieldWrite,
    EntityEvents.of(SOURCE, "crm.support.ticket_field", support),
    columns=with_json("options"),
)
