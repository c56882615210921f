from crm_chassis.migrations import run_migrations
from support_service.models import Base
from support_service.settings import SupportSettings

run_migrations(Base.metadata, lambda: SupportSettings().database_url)
