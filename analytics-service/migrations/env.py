from analytics_service.models import Base
from analytics_service.settings import AnalyticsSettings
from crm_chassis.migrations import run_migrations

run_migrations(Base.metadata, lambda: AnalyticsSettings().database_url)
