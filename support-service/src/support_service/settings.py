from datetime import timedelta

from crm_chassis.mail import MailSettings
from crm_chassis.settings import ServiceSettings
from crm_chassis.storage import StorageSettings
from pydantic_settings import SettingsConfigDict


class SupportSettings(ServiceSettings, MailSettings, StorageSettings):
    """support-service settings, from ``CRM_SUPPORT_*`` (and the shared ``CRM_*``)."""

    model_config = SettingsConfigDict(env_prefix="CRM_SUPPORT_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/crm_support"
    reopen_window: timedelta = timedelta(days=7)
    """How long after being solved a ticket may be reopened (a later reply opens a new one)."""
    close_after: timedelta = timedelta(days=4)
    """A solved ticket quiet this long is closed (a job)."""
    mail_from: str = "Support <support@crm.localhost>"
    public_url: str = "http://127.0.0.1:8000"
    """Where customers reach the platform (the gateway): the base of survey links."""
    mail_domain: str = "support.crm.localhost"
    """The right-hand side of the Message-IDs of outgoing replies."""
