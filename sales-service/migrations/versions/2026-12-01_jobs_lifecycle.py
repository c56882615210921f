"""jobs: leases, failed_at, recurring jobs; dedupe keys unique among pending jobs only

Revision ID: d3a1f5c7e902
Revises: b7d2e4f6a802
Create Date: 2026-12-01 23:10:00
"""

from collections.abc import Sequence

from crm_chassis import migration_steps as steps

revision: str = "d3a1f5c7e902"
down_revision: str | Sequence[str] | None = "b7d2e4f6a802"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    steps.jobs_lifecycle_upgrade()


def downgrade() -> None:
    steps.jobs_lifecycle_downgrade()
