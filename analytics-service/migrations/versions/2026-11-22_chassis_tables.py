"""chassis tables

Revision ID: c225353a57f4
Revises: 
Create Date: 2026-11-22 19:27:47.574928
"""
from collections.abc import Sequence

from crm_chassis import migration_steps as steps

revision: str = 'c225353a57f4'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    steps.create_chassis_tables()


def downgrade() -> None:
    steps.drop_chassis_tables()
