"""Gateway settings, from ``CRM_GATEWAY_*`` (and the shared ``CRM_*``)."""

from __future__ import annotations

from typing import Any, Literal

from crm_chassis.mail import MailSettings
from crm_chassis.settings import ServiceSettings
from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from crm_gateway.webhooks.schedule import DELAYS


class GatewaySettings(ServiceSettings, MailSettings):
    """The edge: where each service lives, how long to wait for it, how tokens live;
    the relay its mail (password resets) goes through is the platform's ``CRM_SMTP_*``."""

    model_config = SettingsConfigDict(env_prefix="CRM_GATEWAY_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/crm_gateway"
    # Bodies pass through to the services, which apply their own (smaller) limits; the
    # gateway's limit only stops absurd uploads (imports can be large CSV files).
    max_body_bytes: int = 64 * 1024 * 1024

    contacts_url: str = "http://127.0.0.1:8101"
    sales_url: str = "http://127.0.0.1:8102"
    marketing_url: str = "http://127.0.0.1:8103"
    support_url: str = "http://127.0.0.1:8104"
    analytics_url: str = "http://127.0.0.1:8105"

    upstream_connect_timeout: float = 3.0
    """Seconds to open a connection to a service before answering 502/504."""
    upstream_read_timeout: float = 30.0
    """Seconds a service may stay silent (before headers or between body chunks): 504."""
    upstream_pool_size: int = 256
    """Most connections kept open to all services together."""
    upstream_keepalive_seconds: float = 4.0
    """Idle pooled connections are dropped after this. Below uvicorn's keep-alive of 5 s,
    so the gateway never reuses a connection the service is just closing (a request on
    it would fail with a spurious 502)."""

    openapi_cache_seconds: float = 30.0
    """How long the merged OpenAPI document is reused before the services are asked again."""
    openapi_fetch_timeout: float = 3.0

    token_ttl_seconds: int = 3600
    token_algorithm: Literal["HS256", "RS256"] = "HS256"
    """RS256: tokens are signed with the rotating key set published at
    /.well-known/jwks.json (services need ``CRM_JWT_JWKS_URL``, and no secret); HS256:
    with the shared ``CRM_JWT_SECRET``. The key set is published either way."""
    signing_key_rotate_seconds: int = 24 * 3600
    oidc_issuers: list[dict[str, Any]] = Field(default_factory=list)
    """External OpenID Connect issuers whose tokens ``POST /v1/auth/oidc`` exchanges
    (see :class:`crm_gateway.identity.oidc.OidcIssuer`)."""
    refresh_ttl_seconds: int = 30 * 24 * 3600
    """How long a login lasts without use: each refresh rotates the token and restarts it."""
    password_reset_ttl_seconds: int = 3600
    password_reset_per_email: int = 3
    """Reset mails one address may ask for per hour (``POST /v1/auth/password-reset``)."""
    password_reset_link: str | None = None
    """The page that sets a new password, with ``{token}`` where the token goes (e.g.
    ``https://app.example.com/reset#token={token}``); without it the mail carries the
    token and the API call that uses it."""
    bootstrap_api_key: str | None = Field(
        None, validation_alias=AliasChoices("CRM_BOOTSTRAP_API_KEY", "bootstrap_api_key")
    )
    """When set, startup ensures the default tenant holds an admin key of this value."""

    rate_limit_window_seconds: float = 60.0
    rate_limit_per_key: int = 6000
    """Requests per window of one API key or user (the bucket's capacity: its burst)."""
    rate_limit_per_tenant: int = 30000
    """Requests per window of all of a tenant's keys and users together."""
    rate_limit_per_address: int = 300
    """Requests per window without a valid token (logins, token exchanges), per client."""
    rate_limits_enabled: bool = True

    max_header_bytes: int = 16 * 1024
    max_headers: int = 100
    max_url_bytes: int = 8 * 1024
    max_query_params: int = 256

    breaker_threshold: int = 5
    """Consecutive failures of a service that open its circuit."""
    breaker_open_seconds: float = 10.0

    webhook_timeout_seconds: float = 10.0
    """How long a receiver may take to answer a delivery."""
    webhook_workers: int = 8
    """Deliveries the dispatcher sends at once (job runners sharing the claims)."""
    webhook_retry_delays: tuple[float, ...] = DELAYS
    """Seconds before each retry of a failed delivery; past the last, it has failed."""

    def upstream_urls(self) -> dict[str, str]:
        """Base URL of every service by its short name (``contacts`` ...)."""
        return {
            "contacts": self.contacts_url,
            "sales": self.sales_url,
            "marketing": self.marketing_url,
            "support": self.support_url,
            "analytics": self.analytics_url,
        }
