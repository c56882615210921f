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
