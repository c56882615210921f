"""actors: records carry a team beside their owner; user ids are UUIDs everywhere

Revision ID: f5c3b7e9a201
Revises: a9f1c3e5b701, e4b2a6d8f0a1
Create Date: 2026-12-01 23:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f5c3b7e9a201"
down_revision: str | Sequence[str] | None = ("a9f1c3e5b701", "e4b2a6d8f0a1")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Columns that held a user id as text. A value that is not a UUID (an API key's name from
# a test, "privacy-erasure" for an undo done by the service) becomes the nil UUID, the
# service's own id (crm_chassis.auth.SYSTEM_USER), rather than failing the upgrade.
USER_COLUMNS = [  # (table, column, nullable, the varchar length it had)
    ("notes", "author_id", False, 200),
    ("attachments", "uploaded_by", False, 200),
    ("merges", "merged_by", True, 255),
    ("merges", "undone_by", True, 255),
    ("imports", "created_by", True, 255),
]
UUID_TEXT = "'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'"
NIL = "'00000000-0000-0000-0000-000000000000'::uuid"


def upgrade() -> None:
    for table in ("contacts", "accounts"):
        op.add_column(table, sa.Column("team_id", sa.Uuid(), nullable=True))
        op.create_index(f"ix_{table}_tenant_owner", table, ["tenant_id", "owner_id"])
        op.create_index(f"ix_{table}_tenant_team", table, ["tenant_id", "team_id"])
    for table, column, _, _ in USER_COLUMNS:
        op.execute(
            f"ALTER TABLE {table} ALTER COLUMN {column} TYPE uuid USING (CASE"
            f" WHEN {column} IS NULL THEN NULL"
            f" WHEN {column} ~ {UUID_TEXT} THEN {column}::uuid ELSE {NIL} END)"
        )


def downgrade() -> None:
    for table, column, _, length in USER_COLUMNS:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE varchar({length})")
    for table in ("contacts", "accounts"):
        op.drop_index(f"ix_{table}_tenant_team", table)
        op.drop_index(f"ix_{table}_tenant_owner", table)
        op.drop_column(table, "team_id")
