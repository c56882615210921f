"""The chassis's own tables, present in every service's database.

They live on :data:`infra_metadata`, which each service's Alembic ``env.py`` passes next to
its own MetaData, so every service migrates them like its own tables.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from crm_chassis.orm import new_metadata

infra_metadata = new_metadata()

outbox = Table(
    "outbox",
    infra_metadata,
    Column("id", Uuid, primary_key=True, comment="the CloudEvent id"),
    Column("tenant_id", Uuid, nullable=False),
    Column("subject", String(200), nullable=False, comment="NATS subject"),
    Column("body", LargeBinary, nullable=False, comment="the CloudEvent, JSON, as published"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

inbox = Table(
    "inbox",
    infra_metadata,
    Column("consumer", String(120), primary_key=True),
    Column("event_id", Uuid, primary_key=True),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

jobs = Table(
    "jobs",
    infra_metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid),
    Column("kind", String(120), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("payload", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text),
    Column("dedupe_key", String(200), unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("done_at", DateTime(timezone=True)),
    Index("ix_jobs_due", "due_at", postgresql_where=text("done_at IS NULL")),
)

idempotency_keys = Table(
    "idempotency_keys",
    infra_metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, comment="NULL while the first request is in flight"),
    Column("response_headers", JSONB),
    Column("response_body", LargeBinary),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
