from contacts_service.models import Base
from contacts_service.settings import ContactsSettings
from crm_chassis.migrations import run_migrations

run_migrations(Base.metadata, lambda: ContactsSettings().database_url)
