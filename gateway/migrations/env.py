from crm_chassis.migrations import run_migrations
from crm_gateway.models import Base
from crm_gateway.settings import GatewaySettings

run_migrations(Base.metadata, lambda: GatewaySettings().database_url)
