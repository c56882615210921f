"""queue and assignee lists of one status: the index matches the filter and the keyset
order (created_at, id), so the page is read off it with no sort

Revision ID: 5e8c2a7d4f19
Revises: 7d1e5a9c3b20
Create Date: 2026-12-02 18:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5e8c2a7d4f19"
down_revision: str | Sequence[str] | None = "7d1e5a9c3b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_tickets_tenant_queue_status", table_name="tickets")
    op.drop_index("ix_tickets_tenant_owner_status", table_name="tickets")
    op.create_index(
        "ix_tickets_queue_status_keyset",
        "tickets",
        ["tenant_id", "queue_id", "status", "created_at", "id"],
    )
    op.create_index(
        "ix_tickets_owner_status_keyset",
        "tickets",
        ["tenant_id", "owner_id", "status", "created_at", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_owner_status_keyset", table_name="tickets")
    op.drop_index("ix_tickets_queue_status_keyset", table_name="tickets")
    op.create_index(
        "ix_tickets_tenant_owner_status",
        "tickets",
        ["tenant_id", "owner_id", "status", "created_at"],
    )
    op.create_index(
        "ix_tickets_tenant_queue_status",
        "tickets",
        ["tenant_id", "queue_id", "status", "created_at"],
    )
