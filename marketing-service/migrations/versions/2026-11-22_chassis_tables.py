"""chassis tables

Revision ID: 63cdb1057d49
Revises: 
Create Date: 2026-11-22 19:27:41.716577
"""
from collections.abc import Sequence

from crm_chassis import migration_steps as steps

revision: str = '63cdb1057d49'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    steps.create_chassis_tables()


def downgrade() -> None:
    steps.drop_chassis_tables()
