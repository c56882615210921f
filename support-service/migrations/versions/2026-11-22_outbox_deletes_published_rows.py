"""outbox: the relay deletes published rows (no published_at)

Revision ID: b7d2e4f6a804
Revises: 210494619e79
Create Date: 2026-11-22 22:45:00
"""

from collections.abc import Sequence

from crm_chassis import migration_steps as steps

revision: str = "b7d2e4f6a804"
down_revision: str | Sequence[str] | None = "210494619e79"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    steps.outbox_deletes_published_rows_upgrade()


def downgrade() -> None:
    steps.outbox_deletes_published_rows_downgrade()
