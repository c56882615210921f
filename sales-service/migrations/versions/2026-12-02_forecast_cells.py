"""forecast cells

Revision ID: f1d836ba6b84
Revises: c0b7f617e590
Create Date: 2026-12-02 05:53:00.531903
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "f1d836ba6b84"
down_revision: str | None = "c0b7f617e590"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NIL = "'00000000-0000-0000-0000-000000000000'::uuid"

# The cells follow every deal write: the old values leave their cell, the new ones join
# theirs. A row trigger, so bulk statements (a stage's deals following its probability)
# keep the cells right as well as single writes do.
FUNCTION = f"""
CREATE FUNCTION forecast_cells_follow_deals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.expected_close_date IS NOT DISTINCT FROM NEW.expected_close_date
       AND OLD.amount_amount IS NOT DISTINCT FROM NEW.amount_amount
       AND OLD.amount_currency IS NOT DISTINCT FROM NEW.amount_currency
       AND OLD.probability IS NOT DISTINCT FROM NEW.probability
       AND OLD.forecast_category IS NOT DISTINCT FROM NEW.forecast_category
       AND OLD.owner_id IS NOT DISTINCT FROM NEW.owner_id
       AND OLD.team_id IS NOT DISTINCT FROM NEW.team_id THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.expected_close_date IS NOT NULL
       AND OLD.amount_amount IS NOT NULL THEN
        UPDATE forecast_cells
           SET deals = deals - 1, amount = amount - OLD.amount_amount,
               weighted_x100 = weighted_x100 - OLD.amount_amount * OLD.probability
         WHERE tenant_id = OLD.tenant_id
           AND month = date_trunc('month', OLD.expected_close_date::timestamp)::date
           AND owner_key = coalesce(OLD.owner_id, {NIL})
           AND team_key = coalesce(OLD.team_id, {NIL})
           AND forecast_category = OLD.forecast_category
           AND currency = OLD.amount_currency;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.expected_close_date IS NOT NULL
       AND NEW.amount_amount IS NOT NULL THEN
        INSERT INTO forecast_cells AS c VALUES (
            NEW.tenant_id, date_trunc('month', NEW.expected_close_date::timestamp)::date,
            coalesce(NEW.owner_id, {NIL}), coalesce(NEW.team_id, {NIL}),
            NEW.forecast_category, NEW.amount_currency, 1, NEW.amount_amount,
            NEW.amount_amount * NEW.probability)
        ON CONFLICT (tenant_id, month, owner_key, team_key, forecast_category, currency)
        DO UPDATE SET deals = c.deals + 1, amount = c.amount + EXCLUDED.amount,
                      weighted_x100 = c.weighted_x100 + EXCLUDED.weighted_x100;
    END IF;
    RETURN NULL;
END $$
"""

BACKFILL = f"""
INSERT INTO forecast_cells
SELECT tenant_id, date_trunc('month', expected_close_date::timestamp)::date,
       coalesce(owner_id, {NIL}), coalesce(team_id, {NIL}), forecast_category,
       amount_currency, count(*), sum(amount_amount), sum(amount_amount * probability)
  FROM deals
 WHERE expected_close_date IS NOT NULL AND amount_amount IS NOT NULL
 GROUP BY 1, 2, 3, 4, 5, 6
"""


def upgrade() -> None:
    op.create_table(
        "forecast_cells",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("owner_key", sa.Uuid(), nullable=False),
        sa.Column("team_key", sa.Uuid(), nullable=False),
        sa.Column("forecast_category", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        sa.Column("deals", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(), nullable=False),
        sa.Column("weighted_x100", sa.Numeric(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "month",
            "owner_key",
            "team_key",
            "forecast_category",
            "currency",
            name=op.f("pk_forecast_cells"),
        ),
    )
    op.execute(FUNCTION)
    op.execute(
        "CREATE TRIGGER forecast_cells_follow_deals AFTER INSERT OR UPDATE OR DELETE ON deals "
        "FOR EACH ROW EXECUTE FUNCTION forecast_cells_follow_deals()"
    )
    # Deals written before this revision join their cells once.
    op.execute(BACKFILL)


def downgrade() -> None:
    op.execute("DROP TRIGGER forecast_cells_follow_deals ON deals")
    op.execute("DROP FUNCTION forecast_cells_follow_deals()")
    op.drop_table("forecast_cells")
