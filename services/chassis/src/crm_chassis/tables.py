"""The chassis's own tables, present in every service's database.

They live on :data:`infra_metadata`, which each service's Alembic ``env.py`` passes next to
its own MetaData, so every service migrates them like its own tables.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    Interval,
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

JOBS_PENDING = "done_at IS NULL AND failed_at IS NULL"
"""A job neither done nor failed: it will run when due (its partial indexes say this)."""

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
    Column("dedupe_key", String(200), comment="unique per tenant among pending jobs"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("done_at", DateTime(timezone=True)),
    Column("failed_at", DateTime(timezone=True), comment="set when its attempts ran out"),
    Column(
        "locked_until",
        DateTime(timezone=True),
        comment="not claimed before: a run's lease, a failed attempt's backoff",
    ),
    Column("every", Interval, comment="the period of a recurring job"),
    Index("ix_jobs_due", "due_at", postgresql_where=text(JOBS_PENDING)),
    Index(
        "uq_jobs_pending_dedupe_key",
        "tenant_id",
        "dedupe_key",
        unique=True,
        postgresql_where=text(f"{JOBS_PENDING} AND dedupe_key IS NOT NULL"),
        postgresql_nulls_not_distinct=True,  # one pending platform job (no tenant) per key
    ),
    Index("ix_jobs_done", "done_at", postgresql_where=text("done_at IS NOT NULL")),
    Index("ix_jobs_failed", "kind", postgresql_where=text("failed_at IS NOT NULL")),
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

TASKS_ACTIVE = "status IN ('queued', 'running')"
"""A long task still to finish (its partial unique index on ``key`` says this)."""

long_tasks = Table(
    "long_tasks",
    infra_metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("kind", String(120), nullable=False),
    Column(
        "status",
        String(20),
        nullable=False,
        server_default=text("'queued'"),
        comment="queued, running, succeeded, failed or cancelled",
    ),
    Column("key", String(200), comment="at most one queued or running task per tenant and key"),
    Column("total", BigInteger, comment="units of work in all, once known"),
    Column("done", BigInteger, nullable=False, server_default=text("0")),
    Column("params", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column(
        "state",
        JSONB,
        nullable=False,
        server_default=text("'{}'::jsonb"),
        comment="where the next step resumes",
    ),
    Column("result", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("error", Text),
    Column("failures", Integer, nullable=False, server_default=text("0")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Index("ix_long_tasks_tenant_kind_created", "tenant_id", "kind", "created_at", "id"),
    Index(
        "uq_long_tasks_active_key",
        "tenant_id",
        "key",
        unique=True,
        postgresql_where=text(f"{TASKS_ACTIVE} AND key IS NOT NULL"),
    ),
)
