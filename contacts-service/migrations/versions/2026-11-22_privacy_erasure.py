"""privacy erasure; joins the heads of the parallel C6-C9 revisions

Revision ID: 3f1e0c2a9b7d
Revises: 5be88717973f, dc14b0b3a78c, c03d76ab058e
Create Date: 2026-11-22 20:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3f1e0c2a9b7d"
down_revision: str | Sequence[str] | None = ("5be88717973f", "dc14b0b3a78c", "c03d76ab058e")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("contacts", sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("contacts", "erased_at")
