from support_service.models import Base
from support_service.settings import SupportSettings
from crm_chassis.migrations import run_migrations

run_migrations(Base.metadata, lambda: SupportSettings().database_url)
