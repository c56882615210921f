"""Custom fields of leads: the tenant's definitions, values checked against them on every
write, and the typed targets the search compiler needs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from crm_chassis.crud import Call, Crud, View
from crm_chassis.errors import Conflict, ValidationFailed
from crm_chassis.search import CustomField, Kind

from sales_service.common.events import lifecycle_events
from sales_service.leads.models import LeadField
from sales_service.leads.repository import LeadFieldRepository
from sales_service.leads.schemas import LeadFieldRead, LeadFieldWrite

KINDS = {"text": Kind.TEXT, "number": Kind.NUMBER, "bool": Kind.BOOL, "date": Kind.DATE,
         "enum": Kind.ENUM}  # fmt: skip


async def definitions(call: Call) -> dict[str, LeadField]:
    return {f.key: f for f in await LeadFieldRepository(call.session, call.actor).list()}


def search_fields(defs: Mapping[str, LeadField]) -> dict[str, CustomField]:
    return {k: CustomField(k, KINDS[f.kind], tuple(f.options)) for k, f in defs.items()}


def _problem(field: LeadField, value: Any) -> str | None:
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


async def check_custom(call: Call, custom: Mapping[str, Any]) -> None:
    """422 naming each ``custom.<key>`` that is undefined or of the wrong kind."""
    if not custom:
        return
    defs = await definitions(call)
    errors = []
    for key, value in custom.items():
        field = defs.get(key)
        problem = "no such custom field" if field is None else _problem(field, value)
        if problem:
            errors.append({"field": f"custom.{key}", "message": problem})
    if errors:
        raise ValidationFailed("Custom fields did not validate", errors=errors)


class LeadFields(Crud[LeadField]):
    async def check_create(self, call: Call, data: Any) -> None:
        if data.kind == "enum" and not data.options:
            raise ValidationFailed(
                "An enum field needs options",
                errors=[{"field": "options", "message": "an enum needs options"}],
            )

    async def check_patch(self, call: Call, entity: Any, model: Any, changed: list[str]) -> None:
        if "key" in changed or "kind" in changed:
            raise Conflict("A custom field's key and kind are fixed once created")


LEAD_FIELDS = LeadFields(
    LeadFieldRepository,
    View("lead_field", LeadFieldRead, path="/v1/lead-fields"),
    LeadFieldWrite,
    lifecycle_events("lead_field"),
)
