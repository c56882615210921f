"""ticket custom field definitions: kind, options, required, per tenant

Revision ID: 8b3f6d1e2a57
Revises: 5e8c2a7d4f19
Create Date: 2026-12-02 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "8b3f6d1e2a57"
down_revision: str | Sequence[str] | None = "5e8c2a7d4f19"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticket_fields",
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column(
            "options",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column("required", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_ticket_fields_tenant_created", "ticket_fields", ["tenant_id", "created_at", "id"]
    )
    op.create_index("uq_ticket_fields_tenant_key", "ticket_fields", ["tenant_id", "key"],
                    unique=True)  # fmt: skip


def downgrade() -> None:
    op.drop_index("uq_ticket_fields_tenant_key", table_name="ticket_fields")
    op.drop_index("ix_ticket_fields_tenant_created", table_name="ticket_fields")
    op.drop_table("ticket_fields")
