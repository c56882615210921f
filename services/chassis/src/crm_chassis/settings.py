"""Settings: one ``BaseSettings`` per service, plus the shared ones every service reads.

A service subclasses :class:`ServiceSettings` with ``env_prefix="CRM_<SERVICE>_"`` for its
own values (``CRM_CONTACTS_DATABASE_URL``); the shared values keep their global names
(``CRM_NATS_URL``, ``CRM_JWT_SECRET``) whatever the prefix.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Self

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "crm-dev-secret-change-me-0123456789abcdef"


class SharedSettings(BaseSettings):
    """Values common to every process of the platform."""

    model_config = SettingsConfigDict(extra="ignore")

    nats_url: str = Field(
        "nats://127.0.0.1:54222", validation_alias=AliasChoices("CRM_NATS_URL", "nats_url")
    )
    jwt_secret: str = Field(
        DEV_JWT_SECRET, validation_alias=AliasChoices("CRM_JWT_SECRET", "jwt_secret")
    )
    jwt_jwks_url: str | None = Field(
        None, validation_alias=AliasChoices("CRM_JWT_JWKS_URL", "jwt_jwks_url")
    )
    """The gateway's published key set (``http://gateway/.well-known/jwks.json``): tokens
    signed by its keys are verified against it, with no shared secret."""
    jwt_issuer: str = Field(
        "crm-gateway", validation_alias=AliasChoices("CRM_JWT_ISSUER", "jwt_issuer")
    )
    jwt_audience: str = Field(
        "crm", validation_alias=AliasChoices("CRM_JWT_AUDIENCE", "jwt_audience")
    )
    log_level: str = Field("INFO", validation_alias=AliasChoices("CRM_LOG_LEVEL", "log_level"))


DATA = ".data"


class ServiceSettings(SharedSettings):
    """Base of each service's settings; subclasses set ``env_prefix``."""

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/crm"
    data_dir: Path = Field(Path(DATA), validation_alias=AliasChoices("CRM_DATA_DIR", "data_dir"))
    """Where files live by default: every ``*_path`` setting under ``.data/`` (the
    object store, imports, the warehouse) is taken under this folder instead, so two
    platforms on one machine (``make run`` and a test stack) never share a file."""
    db_pool_size: int = 20
    """Pooled connections, kept open; a request past them waits (``db_pool_timeout``)."""
    db_pool_overflow: int = 0
    """Connections opened past the pool under a burst and closed as soon as they are
    returned. Each costs a connection set-up (TLS negotiation, type codecs, prepared
    statements) that dwarfs the query: measured here, 20 of overflow under 32 concurrent
    reads halved the read path's throughput. Raise it only for rare, long bursts."""
    max_body_bytes: int = 1_048_576
    """The default body limit; a route that takes more declares it with
    ``crm_chassis.middleware.body_limit``."""
    outbox_batch_size: int = 1000
    run_background: bool = True
    """Run the outbox relay, consumers and job runner inside the API process."""
    jobs_done_retention: timedelta = timedelta(days=1)
    """How long done jobs are kept before the job runner deletes them."""
    db_pool_timeout: float = 2.0
    """Seconds a request waits for a pooled connection before it is answered 503."""
    db_connect_timeout: float = 2.0
    """Seconds to open a connection (TCP and PostgreSQL's start-up) before giving up."""
    db_statement_timeout: float = 3.0
    """Longest statement, enforced by PostgreSQL and, for a server that stopped
    answering, by the client: past it the request is answered 503. Long work (imports,
    scans) runs as many short statements, each well under it."""
    db_pool_recycle: float = 1800.0
    """Seconds after which a pooled connection is replaced (instead of a ping per use)."""

    @model_validator(mode="after")
    def _paths_under_data_dir(self) -> Self:
        if self.data_dir == Path(DATA):
            return self
        for name in type(self).model_fields:
            value = getattr(self, name)
            if not name.endswith("_path") or not isinstance(value, str | Path):
                continue
            parts = Path(value).parts
            if parts[:1] == (DATA,):
                moved = self.data_dir.joinpath(*parts[1:])
                setattr(self, name, moved if isinstance(value, Path) else str(moved))
        return self
