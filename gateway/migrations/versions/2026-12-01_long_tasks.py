"""long tasks: the chassis table of resumable, chunked work with progress

Revision ID: e4b2a6d8f016
Revises: d3a1f5c7e906
Create Date: 2026-12-01 23:15:00
"""

from collections.abc import Sequence

from crm_chassis import migration_steps as steps

revision: str = "e4b2a6d8f016"
down_revision: str | Sequence[str] | None = "d3a1f5c7e906"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    steps.long_tasks_upgrade()


def downgrade() -> None:
    steps.long_tasks_downgrade()
