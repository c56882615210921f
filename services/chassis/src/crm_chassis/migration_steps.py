"""Changes to the chassis tables, one function pair per change, for every service's Alembic.

The chassis tables live in each service's own database, so a change to them is a revision
in each service's ``migrations/versions``; the revision calls the step from here, so the
services cannot drift apart. A step, once released, never changes: a later change is a new
step.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def outbox_deletes_published_rows_upgrade() -> None:
    """The relay deletes what it published: ``published_at`` and its index go."""
    op.execute("DELETE FROM outbox WHERE published_at IS NOT NULL")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_column("outbox", "published_at")


def outbox_deletes_published_rows_downgrade() -> None:
    op.add_column("outbox", sa.Column("published_at", sa.DateTime(timezone=True)))
    op.create_index(
        "ix_outbox_pending", "outbox", ["id"], postgresql_where=sa.text("published_at IS NULL")
    )
