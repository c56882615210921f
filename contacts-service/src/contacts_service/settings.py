from crm_chassis.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class ContactsSettings(ServiceSettings):
    """contacts-service settings, from ``CRM_CONTACTS_*`` (and the shared ``CRM_*``)."""

    model_config = SettingsConfigDict(env_prefix="CRM_CONTACTS_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/crm_contacts"
    default_phone_region: str = "US"
    """Region used to read phone numbers written without a country code."""
