"""warn share as NUMERIC(4, 3): an exact share of the target

Revision ID: 7d1e5a9c3b20
Revises: ba5a6ead2dd9
Create Date: 2026-12-02 06:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7d1e5a9c3b20"
down_revision: str | Sequence[str] | None = "ba5a6ead2dd9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column(
        "sla_policies", "warn_share", type_=sa.Numeric(4, 3), postgresql_using="warn_share::numeric(4,3)"
    )


def downgrade() -> None:
    op.alter_column("sla_policies", "warn_share", type_=sa.Float())
