"""fuzzy name keys: phonetic blocking keys on contacts, so duplicates survive typos

Revision ID: a9f1c3e5b701
Revises: d3a1f5c7e901
Create Date: 2026-12-01 23:30:00

Existing contacts get their keys here, in id-ordered batches, from the same function
every write derives them with (``contacts_service.common.names.name_keys``): a key built
any other way would never meet the keys of new writes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from contacts_service.common.names import name_keys
from sqlalchemy.dialects import postgresql

revision: str = "a9f1c3e5b701"
down_revision: str | Sequence[str] | None = "d3a1f5c7e901"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000


def upgrade() -> None:
    op.add_column(
        "contacts",
        sa.Column(
            "name_keys", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
    )
    _backfill(op.get_bind())
    op.create_index(
        "ix_contacts_name_keys", "contacts", ["name_keys"], unique=False, postgresql_using="gin"
    )


def _backfill(conn: sa.Connection) -> None:
    select = sa.text(
        "SELECT id, first_name, last_name FROM contacts WHERE id > CAST(:after AS uuid) "
        "AND (first_name IS NOT NULL OR last_name IS NOT NULL) ORDER BY id LIMIT :batch"
    )
    update = sa.text(
        "UPDATE contacts c SET name_keys = CAST(k.keys AS text[]) FROM (SELECT "
        "unnest(CAST(:ids AS uuid[])) AS id, unnest(CAST(:keys AS text[])) AS keys) k "
        "WHERE c.id = k.id"
    )
    after = "00000000-0000-0000-0000-000000000000"
    while rows := conn.execute(select, {"after": after, "batch": BATCH}).all():
        # unnest flattens a text[][]; one key list per row travels as a text[] literal
        literals = ["{" + ",".join(f'"{k}"' for k in name_keys(r[1], r[2])) + "}" for r in rows]
        conn.execute(update, {"ids": [r[0] for r in rows], "keys": literals})
        after = str(rows[-1][0])


def downgrade() -> None:
    op.drop_index("ix_contacts_name_keys", table_name="contacts", postgresql_using="gin")
    op.drop_column("contacts", "name_keys")
