"""imports and duplicate scans on long tasks: their status and progress move to the chassis

An import keeps its file and options in ``imports``; its status, progress (the byte
offset reached, in ``state``), counts (in ``result``), error and times move to the
``long_tasks`` row sharing its id. A duplicate scan becomes a long task entirely and
``duplicate_scans`` goes. Pending jobs of the old kinds become task steps.

Revision ID: e4b2a6d8f0a1
Revises: e4b2a6d8f011
Create Date: 2026-12-01 23:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e4b2a6d8f0a1"
down_revision: str | Sequence[str] | None = "e4b2a6d8f011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IMPORT = "contacts.import"
SCAN = "contacts.duplicates.scan"
STEP = "chassis.task.step"
COUNTS = ("created", "updated", "unchanged", "failed")


def import_columns() -> list[sa.Column]:
    """What moves from imports to its task, as it was declared there."""
    return [
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("total_rows", sa.Integer(), nullable=True),
        sa.Column("processed", sa.Integer(), server_default=sa.text("0"), nullable=False),
        *(sa.Column(c, sa.Integer(), server_default=sa.text("0"), nullable=False) for c in COUNTS),
        sa.Column("position", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    ]


def upgrade() -> None:
    counts = ", ".join(f"'{c}', {c}" for c in COUNTS)
    op.execute(
        "INSERT INTO long_tasks (id, tenant_id, kind, status, total, done, state, result,"
        " error, created_at, updated_at, started_at, finished_at)"
        f" SELECT id, tenant_id, '{IMPORT}',"
        " CASE status WHEN 'completed' THEN 'succeeded' ELSE status END,"
        " total_rows, processed, jsonb_build_object('position', position),"
        f" jsonb_build_object({counts}), error, created_at, updated_at, started_at, finished_at"
        " FROM imports"
    )
    op.execute(
        "INSERT INTO long_tasks (id, tenant_id, kind, status, key, total, done, params, state,"
        " result, error, created_at, updated_at, started_at, finished_at)"
        f" SELECT id, tenant_id, '{SCAN}',"
        " CASE status WHEN 'done' THEN 'succeeded' ELSE status END,"
        f" CASE WHEN status = 'running' THEN '{SCAN}.' || kind END, total, processed,"
        " jsonb_build_object('kind', kind, 'min_score', min_score, 'requested_by', requested_by),"
        " jsonb_build_object('cursor', cursor::text),"
        " jsonb_build_object('pairs_found', pairs_found),"
        " error, created_at, updated_at, created_at, finished_at"
        " FROM duplicate_scans"
    )
    for kind, key in ((IMPORT, "import_id"), (SCAN, "scan_id")):
        op.execute(
            f"UPDATE jobs SET kind = '{STEP}',"
            f" payload = jsonb_build_object('task_id', payload->>'{key}')"
            f" WHERE kind = '{kind}' AND done_at IS NULL"
        )
    for column in import_columns():
        op.drop_column("imports", column.name)
    op.drop_index("uq_duplicate_scans_running", table_name="duplicate_scans")
    op.drop_index("ix_duplicate_scans_tenant_created", table_name="duplicate_scans")
    op.drop_table("duplicate_scans")


def downgrade() -> None:
    op.create_table(
        "duplicate_scans",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column(
            "status", sa.String(length=20), server_default=sa.text("'running'"), nullable=False
        ),
        sa.Column("min_score", sa.Float(), nullable=False),
        sa.Column("cursor", sa.Uuid(), nullable=True),
        sa.Column("processed", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("total", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("pairs_found", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("requested_by", sa.String(length=255), nullable=True),
        sa.Column("error", sa.String(length=2000), nullable=True),
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
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_scans")),
    )
    op.create_index(
        "ix_duplicate_scans_tenant_created",
        "duplicate_scans",
        ["tenant_id", "created_at", "id"],
    )
    op.create_index(
        "uq_duplicate_scans_running",
        "duplicate_scans",
        ["tenant_id", "kind"],
        unique=True,
        postgresql_where=sa.text("status = 'running'"),
    )
    op.execute(
        "INSERT INTO duplicate_scans (id, tenant_id, kind, status, min_score, cursor, processed,"
        " total, pairs_found, requested_by, error, created_at, updated_at, finished_at)"
        " SELECT id, tenant_id, params->>'kind',"
        " CASE status WHEN 'succeeded' THEN 'done' WHEN 'queued' THEN 'running'"
        " WHEN 'cancelled' THEN 'failed' ELSE status END,"
        " (params->>'min_score')::float, (state->>'cursor')::uuid, done, coalesce(total, 0),"
        " coalesce((result->>'pairs_found')::int, 0), params->>'requested_by', error,"
        f" created_at, updated_at, finished_at FROM long_tasks WHERE kind = '{SCAN}'"
    )
    for column in import_columns():
        op.add_column("imports", column)
    sets = ", ".join(f"{c} = coalesce((t.result->>'{c}')::int, 0)" for c in COUNTS)
    op.execute(
        "UPDATE imports AS i SET"
        " status = CASE t.status WHEN 'succeeded' THEN 'completed'"
        " WHEN 'cancelled' THEN 'failed' ELSE t.status END,"
        f" total_rows = t.total, processed = t.done, {sets},"
        " position = coalesce((t.state->>'position')::bigint, 0), error = t.error,"
        " started_at = t.started_at, finished_at = t.finished_at"
        " FROM long_tasks AS t WHERE t.id = i.id"
    )
    op.alter_column("imports", "status", nullable=False)
    for kind, key in ((IMPORT, "import_id"), (SCAN, "scan_id")):
        op.execute(
            f"UPDATE jobs SET kind = '{kind}', payload = jsonb_build_object('{key}', t.id::text)"
            f" FROM long_tasks AS t WHERE jobs.kind = '{STEP}' AND jobs.done_at IS NULL"
            f" AND t.kind = '{kind}' AND t.id = (jobs.payload->>'task_id')::uuid"
        )
    op.execute(f"DELETE FROM long_tasks WHERE kind IN ('{IMPORT}', '{SCAN}')")
