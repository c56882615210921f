"""Dependencies shared by the support-service routers."""

from crm_chassis.auth import require_scope

READ = [require_scope("support:read")]
WRITE = [require_scope("support:write")]
