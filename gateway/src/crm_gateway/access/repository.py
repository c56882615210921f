"""SQL of teams and roles: the chassis' tenant-scoped repository."""

from crm_chassis.repository import TenantRepository

from crm_gateway.identity.models import Role, Team


class TeamRepository(TenantRepository[Team]):
    model = Team
    label = "team"
    sortable = {"created_at": Team.created_at, "name": Team.name}


class RoleRepository(TenantRepository[Role]):
    model = Role
    label = "role"
    sortable = {"created_at": Role.created_at, "name": Role.name}
