"""SLA policy use cases: the chassis' CRUD over ordered policies."""

from typing import Any

from crm_chassis.crud import Crud, View
from crm_chassis.entity_events import EntityEvents
from crm_proto.events import support

from support_service.columns import with_json
from support_service.events import SOURCE
from support_service.policies.repository import SlaPolicyRepository
from support_service.policies.schemas import SlaPolicyRead, SlaPolicyWrite

VIEW = View("sla_policy", SlaPolicyRead, path="/v1/sla-policies")
EVENTS = EntityEvents.of(SOURCE, "crm.support.sla_policy", support)
POLICIES: Crud[Any] = Crud(
    SlaPolicyRepository,
    VIEW,
    SlaPolicyWrite,
    EVENTS,
    columns=with_json("conditions", "targets", "pause_on", "escalation"),
)
