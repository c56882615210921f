from crm_chassis.migrations import run_migrations
from sales_service.models import Base
from sales_service.settings import SalesSettings

run_migrations(Base.metadata, lambda: SalesSettings().database_url)
