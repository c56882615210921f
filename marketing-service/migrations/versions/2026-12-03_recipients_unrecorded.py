"""campaign recipients sent but whose touchpoint and event are not yet recorded

Revision ID: 7c3e9a1f5d27
Revises: 5b1d7e0c2a94
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "7c3e9a1f5d27"
down_revision: str | None = "5b1d7e0c2a94"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "campaign_recipients",
        sa.Column("unrecorded", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.create_index(
        "ix_campaign_recipients_unrecorded",
        "campaign_recipients",
        ["campaign_id"],
        postgresql_where=sa.text("unrecorded IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_campaign_recipients_unrecorded", table_name="campaign_recipients")
    op.drop_column("campaign_recipients", "unrecorded")
