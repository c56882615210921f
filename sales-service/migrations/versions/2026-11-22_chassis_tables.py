"""chassis tables

Revision ID: be0d2b23c5af
Revises: 
Create Date: 2026-11-22 19:27:38.749885
"""
from collections.abc import Sequence

from crm_chassis import migration_steps as steps

revision: str = 'be0d2b23c5af'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    steps.create_chassis_tables()


def downgrade() -> None:
    steps.drop_chassis_tables()
