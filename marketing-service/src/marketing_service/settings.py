from crm_chassis.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class MarketingSettings(ServiceSettings):
    """marketing-service settings, from ``CRM_MARKETING_*`` (and the shared ``CRM_*``)."""

    model_config = SettingsConfigDict(env_prefix="CRM_MARKETING_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/crm_marketing"
