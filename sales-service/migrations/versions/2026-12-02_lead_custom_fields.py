"""lead custom fields

Revision ID: c0b7f617e590
Revises: 438f3605be66
Create Date: 2026-12-02 05:19:49.590593
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c0b7f617e590"
down_revision: str | None = "438f3605be66"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "lead_fields",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column(
            "options",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_fields")),
    )
    op.create_index(
        "ix_lead_fields_tenant_created",
        "lead_fields",
        ["tenant_id", "created_at", "id"],
        unique=False,
    )
    op.create_index("uq_lead_fields_tenant_key", "lead_fields", ["tenant_id", "key"], unique=True)


def downgrade() -> None:

    op.drop_index("uq_lead_fields_tenant_key", table_name="lead_fields")
    op.drop_index("ix_lead_fields_tenant_created", table_name="lead_fields")
    op.drop_table("lead_fields")
