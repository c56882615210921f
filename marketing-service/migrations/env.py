from crm_chassis.migrations import run_migrations
from marketing_service.models import Base
from marketing_service.settings import MarketingSettings

run_migrations(Base.metadata, lambda: MarketingSettings().database_url)
