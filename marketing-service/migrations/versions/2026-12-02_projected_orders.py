"""projected orders, for the order rules of segments

Revision ID: 5b1d7e0c2a94
Revises: dc09853e8354
Create Date: 2026-12-02 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5b1d7e0c2a94"
down_revision: str | None = "dc09853e8354"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("ordered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_orders")),
    )
    op.create_index(
        "ix_orders_tenant_account", "orders", ["tenant_id", "account_id", "ordered_at"]
    )
    op.create_index(
        "ix_orders_tenant_contact", "orders", ["tenant_id", "contact_id", "ordered_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_orders_tenant_contact", table_name="orders")
    op.drop_index("ix_orders_tenant_account", table_name="orders")
    op.drop_table("orders")
