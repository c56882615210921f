from crm_chassis.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class SupportSettings(ServiceSettings):
    """support-service settings, from ``CRM_SUPPORT_*`` (and the shared ``CRM_*``)."""

    model_config = SettingsConfigDict(env_prefix="CRM_SUPPORT_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/crm_support"
