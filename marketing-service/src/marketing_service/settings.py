from datetime import timedelta
from urllib.parse import urlsplit

from crm_chassis.mail import MailSettings
from crm_chassis.settings import ServiceSettings
from pydantic import SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "testserver"}


class MarketingSettings(ServiceSettings, MailSettings):
    """marketing-service settings, from ``CRM_MARKETING_*`` (and the shared ``CRM_*``)."""

    model_config = SettingsConfigDict(env_prefix="CRM_MARKETING_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/crm_marketing"
    public_base_url: str = "http://127.0.0.1:8000"
    """Where recipients' browsers reach the tracking and unsubscribe endpoints (the
    gateway); https for any host that is not this machine (RFC 8058 wants https)."""
    signing_secret: SecretStr = SecretStr("crm-dev-marketing-signing-secret-0123456789")
    """Key of the HMAC that signs open, click and unsubscribe tokens."""
    send_chunk_seconds: float = 2.0
    """How long one run of a campaign's sender sends before it yields to other jobs."""
    send_takeover_seconds: float = 8.0
    """After how long a crashed sender's campaign is taken over by another run."""
    send_batch: int = 50
    send_max_attempts: int = 5
    segment_refresh_every: timedelta = timedelta(minutes=15)
    """How often segments with relative-time rules are fully re-evaluated."""
    score_refresh_every: timedelta = timedelta(hours=1)
    """How often engagement scores are recomputed, so decay shows without new events."""
    webhook_timeout: float = 5.0

    @field_validator("public_base_url")
    @classmethod
    def _https_beyond_this_machine(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("public_base_url must be an http(s) URL")
        if parts.scheme != "https" and parts.hostname not in LOCAL_HOSTS:
            raise ValueError("public_base_url must be https unless it is this machine")
        return url.rstrip("/")
