"""The warehouse's tables: the raw event log, the handled event ids, the star schema.

Subject-oriented (one fact table per business process), time-variant (every fact carries
its time; contacts and accounts keep their history as slowly changing dimensions, type 2:
a row per version with ``valid_from``/``valid_to``) and non-volatile (``raw_events`` is
append-only; every other table can be derived again from it or from the stream).

Money is ``DECIMAL(19,4)`` beside its ISO 4217 currency, as in the operational databases.
The SQL is plain and portable (no DuckDB-only types), so Trino or Spark can read the same
tables from the Parquet export.
"""

from __future__ import annotations

MONEY = "DECIMAL(19,4)"

TABLES: dict[str, str] = {
    "handled_events": "event_id UUID PRIMARY KEY, loaded_at TIMESTAMPTZ NOT NULL",
    "raw_events": (
        "event_id UUID NOT NULL, tenant_id UUID NOT NULL, type VARCHAR NOT NULL, "
        "source VARCHAR NOT NULL, subject VARCHAR, time TIMESTAMPTZ NOT NULL, "
        "sequence BIGINT, data JSON NOT NULL"
    ),
    "dim_date": (
        "date_key DATE PRIMARY KEY, year INTEGER, quarter INTEGER, month INTEGER, "
        "day INTEGER, weekday INTEGER, iso_week INTEGER, quarter_label VARCHAR, "
        "month_label VARCHAR"
    ),
    "dim_contact": (
        "tenant_id UUID NOT NULL, contact_id UUID NOT NULL, valid_from TIMESTAMPTZ NOT NULL, "
        "valid_to TIMESTAMPTZ, is_current BOOLEAN NOT NULL, version BIGINT, "
        "account_id UUID, owner_id UUID, team_id UUID, lifecycle_stage VARCHAR, "
        "country VARCHAR, region VARCHAR, city VARCHAR, created_at TIMESTAMPTZ, "
        "deleted BOOLEAN NOT NULL DEFAULT false"
    ),
    "dim_account": (
        "tenant_id UUID NOT NULL, account_id UUID NOT NULL, valid_from TIMESTAMPTZ NOT NULL, "
        "valid_to TIMESTAMPTZ, is_current BOOLEAN NOT NULL, version BIGINT, name VARCHAR, "
        "industry VARCHAR, type VARCHAR, employees INTEGER, owner_id UUID, team_id UUID, "
        "country VARCHAR, region VARCHAR, deleted BOOLEAN NOT NULL DEFAULT false"
    ),
    "dim_owner": "tenant_id UUID NOT NULL, owner_id UUID NOT NULL, first_seen TIMESTAMPTZ",
    "dim_product": (
        "tenant_id UUID NOT NULL, product_id UUID NOT NULL, name VARCHAR, sku VARCHAR, "
        "category VARCHAR, updated_at TIMESTAMPTZ"
    ),
    "dim_campaign": (
        "tenant_id UUID NOT NULL, campaign_id UUID NOT NULL, name VARCHAR, channel VARCHAR, "
        "updated_at TIMESTAMPTZ"
    ),
    "fact_deal": (
        "tenant_id UUID NOT NULL, deal_id UUID NOT NULL, name VARCHAR, pipeline_id UUID, "
        "stage VARCHAR, status VARCHAR NOT NULL, amount " + MONEY + ", currency VARCHAR, "
        "owner_id UUID, team_id UUID, contact_id UUID, account_id UUID, "
        "created_at TIMESTAMPTZ NOT NULL, closed_at TIMESTAMPTZ, probability DOUBLE, "
        "updated_at TIMESTAMPTZ NOT NULL"
    ),
    "fact_deal_stage_change": (
        "tenant_id UUID NOT NULL, event_id UUID NOT NULL, deal_id UUID NOT NULL, "
        "occurred_at TIMESTAMPTZ NOT NULL, from_stage VARCHAR, to_stage VARCHAR NOT NULL, "
        "won BOOLEAN, "
        "amount " + MONEY + ", currency VARCHAR, owner_id UUID"
    ),
    "fact_order": (
        "tenant_id UUID NOT NULL, order_id UUID NOT NULL, contact_id UUID, account_id UUID, "
        "owner_id UUID, ordered_at TIMESTAMPTZ NOT NULL, total " + MONEY + " NOT NULL, "
        "currency VARCHAR NOT NULL, status VARCHAR"
    ),
    "fact_order_line": (
        "tenant_id UUID NOT NULL, order_id UUID NOT NULL, line_no INTEGER NOT NULL, "
        "product_id UUID, product_name VARCHAR, quantity DECIMAL(19,4) NOT NULL, "
        "unit_price " + MONEY + ", amount " + MONEY + " NOT NULL, currency VARCHAR NOT NULL, "
        "contact_id UUID, ordered_at TIMESTAMPTZ NOT NULL"
    ),
    "fact_touch": (
        "tenant_id UUID NOT NULL, event_id UUID NOT NULL, contact_id UUID, campaign_id UUID, "
        "channel VARCHAR NOT NULL, kind VARCHAR NOT NULL, occurred_at TIMESTAMPTZ NOT NULL"
    ),
    "fact_ticket": (
        "tenant_id UUID NOT NULL, ticket_id UUID NOT NULL, contact_id UUID, account_id UUID, "
        "owner_id UUID, priority VARCHAR, channel VARCHAR, status VARCHAR NOT NULL, "
        "created_at TIMESTAMPTZ NOT NULL, first_reply_at TIMESTAMPTZ, "
        "resolved_at TIMESTAMPTZ, first_reply_breached BOOLEAN, resolution_breached BOOLEAN, "
        "csat INTEGER, updated_at TIMESTAMPTZ NOT NULL"
    ),
    "fact_sla_outcome": (
        "tenant_id UUID NOT NULL, event_id UUID NOT NULL, ticket_id UUID NOT NULL, "
        "metric VARCHAR NOT NULL, outcome VARCHAR NOT NULL, occurred_at TIMESTAMPTZ NOT NULL"
    ),
    "fact_call": (
        "tenant_id UUID NOT NULL, call_id UUID NOT NULL, contact_id UUID, owner_id UUID, "
        "direction VARCHAR, started_at TIMESTAMPTZ NOT NULL, duration_seconds INTEGER, "
        "outcome VARCHAR"
    ),
    "fact_activity": (
        "tenant_id UUID NOT NULL, event_id UUID NOT NULL, kind VARCHAR NOT NULL, "
        "owner_id UUID, contact_id UUID, account_id UUID, occurred_at TIMESTAMPTZ NOT NULL"
    ),
    "fact_lifecycle": (
        "tenant_id UUID NOT NULL, event_id UUID NOT NULL, contact_id UUID NOT NULL, "
        "from_stage VARCHAR, to_stage VARCHAR NOT NULL, occurred_at TIMESTAMPTZ NOT NULL"
    ),
}

#: Rows keyed by the aggregate: a later event replaces the row (accumulating snapshots).
UPSERT_KEYS: dict[str, tuple[str, ...]] = {
    "fact_deal": ("tenant_id", "deal_id"),
    "fact_order": ("tenant_id", "order_id"),
    "fact_order_line": ("tenant_id", "order_id", "line_no"),
    "fact_ticket": ("tenant_id", "ticket_id"),
    "fact_call": ("tenant_id", "call_id"),
    "dim_owner": ("tenant_id", "owner_id"),
    "dim_product": ("tenant_id", "product_id"),
    "dim_campaign": ("tenant_id", "campaign_id"),
}

#: Facts written to date-partitioned Parquet, with the column that dates them.
FACT_DATES: dict[str, str] = {
    "fact_deal": "created_at",
    "fact_deal_stage_change": "occurred_at",
    "fact_order": "ordered_at",
    "fact_order_line": "ordered_at",
    "fact_touch": "occurred_at",
    "fact_ticket": "created_at",
    "fact_sla_outcome": "occurred_at",
    "fact_call": "started_at",
    "fact_activity": "occurred_at",
    "fact_lifecycle": "occurred_at",
}

# Every fact carries the UTC day of its date column as ``date_key``, the key into
# ``dim_date``: grouping by year, quarter or month is then a join on a small table, not a
# time-zone computation on every fact row.
for _fact in FACT_DATES:
    TABLES[_fact] += ", date_key DATE"

#: The Parquet partitions (fact, tenant, year and month of ``date_key``) changed since they
#: were last written: the loader marks them in each batch's transaction, the export writes
#: only those (:meth:`~analytics_service.warehouse.store.Warehouse.export_changed_now`).
TABLES["parquet_dirty"] = (
    "fact VARCHAR NOT NULL, tenant_id UUID NOT NULL, year INTEGER NOT NULL, "
    "month INTEGER NOT NULL, PRIMARY KEY (fact, tenant_id, year, month)"
)

#: The star rows; what a rebuild empties (the raw log and handled ids are refilled too).
DERIVED = [
    name
    for name in TABLES
    if name not in ("handled_events", "raw_events", "dim_date", "parquet_dirty")
]


def create_statements() -> list[str]:
    """DDL of every table, the calendar and the keys the loader relies on."""
    stmts = [f"CREATE TABLE IF NOT EXISTS {name} ({cols})" for name, cols in TABLES.items()]
    for name, keys in UPSERT_KEYS.items():
        stmts.append(f"CREATE UNIQUE INDEX IF NOT EXISTS {name}_key ON {name} ({', '.join(keys)})")
    stmts.append(
        "CREATE INDEX IF NOT EXISTS dim_contact_current ON dim_contact (tenant_id, contact_id)"
    )
    stmts.append(
        "INSERT INTO dim_date SELECT d::DATE, year(d), quarter(d), month(d), day(d), "
        "isodow(d), week(d), strftime(d, '%Y') || '-Q' || quarter(d), strftime(d, '%Y-%m') "
        "FROM range(DATE '2000-01-01', DATE '2051-01-01', INTERVAL 1 DAY) t(d) "
        "WHERE NOT EXISTS (SELECT 1 FROM dim_date)"
    )
    return stmts
