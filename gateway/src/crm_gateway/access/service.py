"""Team and role use cases: the chassis' CRUD with their views and events."""

from crm_chassis.crud import Crud, View
from crm_chassis.entity_events import EntityEvents
from crm_chassis.outbox import EventSource
from crm_proto.events import gateway

from crm_gateway.access.repository import RoleRepository, TeamRepository
from crm_gateway.access.schemas import RoleRead, RoleWrite, TeamRead, TeamWrite

SOURCE = EventSource("gateway")
TEAMS = Crud(
    TeamRepository,
    View("team", TeamRead, path="/v1/teams"),
    TeamWrite,
    EntityEvents.of(SOURCE, "crm.gateway.team", gateway),
)
ROLES = Crud(
    RoleRepository,
    View("role", RoleRead, path="/v1/roles"),
    RoleWrite,
    EntityEvents.of(SOURCE, "crm.gateway.role", gateway),
)
