"""Changes to the chassis tables, one function pair per change, for every service's Alembic.

The chassis tables live in each service's own database, so a change to them is a revision
in each service's ``migrations/versions``; the revision calls the step from here, so the
services cannot drift apart. A step, once released, never changes: a later change is a new
step.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


def create_chassis_tables() -> None:
    """The chassis tables as every service's first revision created them (the outbox
    still with ``published_at``: see :func:`outbox_deletes_published_rows_upgrade`)."""
    op.create_table(
        "idempotency_keys",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "status_code",
            sa.Integer(),
            nullable=True,
            comment="NULL while the first request is in flight",
        ),
        sa.Column("response_headers", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("tenant_id", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(length=120), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column(
            "processed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_inbox")),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=120), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "payload",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_jobs_dedupe_key")),
    )
    op.create_index(
        "ix_jobs_due", "jobs", ["due_at"], unique=False, postgresql_where=sa.text("done_at IS NULL")
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Uuid(), nullable=False, comment="the CloudEvent id"),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False, comment="NATS subject"),
        sa.Column(
            "body", sa.LargeBinary(), nullable=False, comment="the CloudEvent, JSON, as published"
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["id"],
        unique=False,
        postgresql_where=sa.text("published_at IS NULL"),
    )


def drop_chassis_tables() -> None:
    op.drop_index(
        "ix_outbox_pending", table_name="outbox", postgresql_where=sa.text("published_at IS NULL")
    )
    op.drop_table("outbox")
    op.drop_index("ix_jobs_due", table_name="jobs", postgresql_where=sa.text("done_at IS NULL"))
    op.drop_table("jobs")
    op.drop_table("inbox")
    op.drop_table("idempotency_keys")


def outbox_deletes_published_rows_upgrade() -> None:
    """The relay deletes what it published: ``published_at`` and its index go."""
    op.execute("DELETE FROM outbox WHERE published_at IS NOT NULL")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_column("outbox", "published_at")


def outbox_deletes_published_rows_downgrade() -> None:
    op.add_column("outbox", sa.Column("published_at", sa.DateTime(timezone=True)))
    op.create_index(
        "ix_outbox_pending", "outbox", ["id"], postgresql_where=sa.text("published_at IS NULL")
    )


_JOBS_PENDING = "done_at IS NULL AND failed_at IS NULL"
_JOBS_LEASE_COMMENT = "not claimed before: a run's lease, a failed attempt's backoff"


def jobs_lifecycle_upgrade() -> None:
    """Jobs that can be leased, fail for good and recur; a dedupe key unique per tenant
    among pending jobs only (it was unique forever, across tenants)."""
    op.drop_constraint("uq_jobs_dedupe_key", "jobs", type_="unique")
    op.alter_column(
        "jobs",
        "dedupe_key",
        existing_type=sa.String(length=200),
        comment="unique per tenant among pending jobs",
    )
    op.add_column(
        "jobs",
        sa.Column("failed_at", sa.DateTime(timezone=True), comment="set when its attempts ran out"),
    )
    op.add_column(
        "jobs", sa.Column("locked_until", sa.DateTime(timezone=True), comment=_JOBS_LEASE_COMMENT)
    )
    op.add_column(
        "jobs", sa.Column("every", sa.Interval(), comment="the period of a recurring job")
    )
    op.drop_index("ix_jobs_due", table_name="jobs")
    op.create_index("ix_jobs_due", "jobs", ["due_at"], postgresql_where=sa.text(_JOBS_PENDING))
    op.create_index(
        "uq_jobs_pending_dedupe_key",
        "jobs",
        ["tenant_id", "dedupe_key"],
        unique=True,
        postgresql_where=sa.text(f"{_JOBS_PENDING} AND dedupe_key IS NOT NULL"),
        postgresql_nulls_not_distinct=True,
    )
    op.create_index(
        "ix_jobs_done", "jobs", ["done_at"], postgresql_where=sa.text("done_at IS NOT NULL")
    )
    op.create_index(
        "ix_jobs_failed", "jobs", ["kind"], postgresql_where=sa.text("failed_at IS NOT NULL")
    )


def jobs_lifecycle_downgrade() -> None:
    op.drop_index("ix_jobs_failed", table_name="jobs")
    op.drop_index("ix_jobs_done", table_name="jobs")
    op.drop_index("uq_jobs_pending_dedupe_key", table_name="jobs")
    op.drop_index("ix_jobs_due", table_name="jobs")
    op.create_index("ix_jobs_due", "jobs", ["due_at"], postgresql_where=sa.text("done_at IS NULL"))
    # The old key is unique forever and across tenants: only one row of a key keeps it.
    op.execute(
        "UPDATE jobs SET dedupe_key = NULL WHERE done_at IS NOT NULL OR failed_at IS NOT NULL"
    )
    op.execute(
        "UPDATE jobs SET dedupe_key = NULL FROM jobs AS kept"
        " WHERE jobs.dedupe_key = kept.dedupe_key AND jobs.id > kept.id"
    )
    op.drop_column("jobs", "every")
    op.drop_column("jobs", "locked_until")
    op.drop_column("jobs", "failed_at")
    op.alter_column(
        "jobs",
        "dedupe_key",
        existing_type=sa.String(length=200),
        comment=None,
        existing_comment="unique per tenant among pending jobs",
    )
    op.create_unique_constraint("uq_jobs_dedupe_key", "jobs", ["dedupe_key"])


def long_tasks_upgrade() -> None:
    """The ``long_tasks`` table of :mod:`crm_chassis.tasks`."""
    jsonb = postgresql.JSONB(astext_type=sa.Text())
    empty = sa.text("'{}'::jsonb")
    op.create_table(
        "long_tasks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=120), nullable=False),
        sa.Column(
            "status",
            sa.String(length=20),
            server_default=sa.text("'queued'"),
            nullable=False,
            comment="queued, running, succeeded, failed or cancelled",
        ),
        sa.Column(
            "key",
            sa.String(length=200),
            nullable=True,
            comment="at most one queued or running task per tenant and key",
        ),
        sa.Column(
            "total", sa.BigInteger(), nullable=True, comment="units of work in all, once known"
        ),
        sa.Column("done", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("params", jsonb, server_default=empty, nullable=False),
        sa.Column(
            "state",
            jsonb,
            server_default=empty,
            nullable=False,
            comment="where the next step resumes",
        ),
        sa.Column("result", jsonb, server_default=empty, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_long_tasks")),
    )
    op.create_index(
        "ix_long_tasks_tenant_kind_created",
        "long_tasks",
        ["tenant_id", "kind", "created_at", "id"],
    )
    op.create_index(
        "uq_long_tasks_active_key",
        "long_tasks",
        ["tenant_id", "key"],
        unique=True,
        postgresql_where=sa.text("status IN ('queued', 'running') AND key IS NOT NULL"),
    )


def long_tasks_downgrade() -> None:
    op.drop_index("uq_long_tasks_active_key", table_name="long_tasks")
    op.drop_index("ix_long_tasks_tenant_kind_created", table_name="long_tasks")
    op.drop_table("long_tasks")
