from crm_chassis.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class AnalyticsSettings(ServiceSettings):
    """analytics-service settings, from ``CRM_ANALYTICS_*`` (and the shared ``CRM_*``)."""

    model_config = SettingsConfigDict(env_prefix="CRM_ANALYTICS_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/crm_analytics"
