"""Custom fields of leads: the tenant's definitions, values checked against them on every
write (the rules are the chassis', ``crm_chassis.custom_fields``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crm_chassis.crud import Call, View
from crm_chassis.custom_fields import FieldDefinitions, check_values

from sales_service.common.events import lifecycle_events
from sales_service.leads.models import LeadField
from sales_service.leads.repository import LeadFieldRepository
from sales_service.leads.schemas import LeadFieldRead, LeadFieldWrite


async def definitions(call: Call) -> dict[str, LeadField]:
    return {f.key: f for f in await LeadFieldRepository(call.session, call.actor).list()}


async def check_custom(call: Call, custom: Mapping[str, Any]) -> None:
    """422 naming each ``custom.<key>`` that is undefined or of the wrong kind."""
    if custom:
        check_values(await definitions(call), custom)


LEAD_FIELDS = FieldDefinitions(
    LeadFieldRepository,
    View("lead_field", LeadFieldRead, path="/v1/lead-fields"),
    LeadFieldWrite,
    lifecycle_events("lead_field"),
)
