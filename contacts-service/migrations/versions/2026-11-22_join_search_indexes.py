"""join the search indexes' head with the others (no schema change)

Revision ID: 7a4c9e51d2f0
Revises: 3f1e0c2a9b7d, d3660deab71b
Create Date: 2026-11-22 21:20:00
"""
from collections.abc import Sequence

revision: str = "7a4c9e51d2f0"
down_revision: str | Sequence[str] | None = ("3f1e0c2a9b7d", "d3660deab71b")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
