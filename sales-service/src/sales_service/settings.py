from crm_chassis.mail import MailSettings
from crm_chassis.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class SalesSettings(ServiceSettings, MailSettings):
    """sales-service settings, from ``CRM_SALES_*`` (and the shared ``CRM_*``: the SMTP relay
    quotes are mailed through; ``CRM_SALES_MAIL_FROM`` is their sender)."""

    model_config = SettingsConfigDict(env_prefix="CRM_SALES_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/crm_sales"
