"""What the models read from the warehouse: all of their SQL, each query scoped by tenant.

Models run as the system for a tenant (a long task), so they see every fact of it.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import pandas as pd

from analytics_service.warehouse.store import Warehouse


def _frame(warehouse: Warehouse, sql: str, params: list[object]) -> pd.DataFrame:
    result = warehouse.read_now(sql, params)
    return pd.DataFrame(result.rows, columns=result.columns)


def orders(
    warehouse: Warehouse, tenant: UUID, until: datetime, currency: str | None
) -> pd.DataFrame:
    """customer, kind, ordered_at, total (Decimal), currency of the tenant's orders up to
    ``until``. The customer is the order's contact, else its account (B2B orders name only
    the account); ``kind`` says which."""
    sql = (
        "SELECT coalesce(contact_id, account_id)::VARCHAR AS contact, "
        "CASE WHEN contact_id IS NULL THEN 'account' ELSE 'contact' END AS kind, "
        "ordered_at, total, currency FROM fact_order WHERE tenant_id = ?::UUID "
        "AND coalesce(contact_id, account_id) IS NOT NULL AND ordered_at <= ?"
    )
    params: list[object] = [str(tenant), until]
    if currency:
        sql += " AND currency = ?"
        params.append(currency)
    return _frame(warehouse, sql + " ORDER BY ordered_at", params)


def main_currency(warehouse: Warehouse, tenant: UUID) -> str | None:
    """The currency most of the tenant's orders are in."""
    rows = warehouse.read_now(
        "SELECT currency FROM fact_order WHERE tenant_id = ?::UUID "
        "GROUP BY currency ORDER BY count(*) DESC, currency LIMIT 1",
        [str(tenant)],
    ).rows
    return rows[0][0] if rows else None


def service_history(warehouse: Warehouse, tenant: UUID, until: datetime) -> pd.DataFrame:
    """Per customer (contact, else account): tickets opened and SLA breaches."""
    return _frame(
        warehouse,
        "SELECT coalesce(contact_id, account_id)::VARCHAR AS contact, count(*) AS tickets, "
        "count(*) FILTER (WHERE first_reply_breached OR resolution_breached) AS breaches "
        "FROM fact_ticket WHERE tenant_id = ?::UUID "
        "AND coalesce(contact_id, account_id) IS NOT NULL AND created_at <= ? GROUP BY 1",
        [str(tenant), until],
    )


def touches_per_contact(warehouse: Warehouse, tenant: UUID, until: datetime) -> pd.DataFrame:
    return _frame(
        warehouse,
        "SELECT contact_id::VARCHAR AS contact, count(*) AS touches FROM fact_touch "
        "WHERE tenant_id = ?::UUID AND occurred_at <= ? GROUP BY 1",
        [str(tenant), until],
    )


def baskets(warehouse: Warehouse, tenant: UUID, until: datetime) -> list[list[str]]:
    rows = warehouse.read_now(
        "SELECT list(DISTINCT coalesce(product_name, product_id::VARCHAR)) FROM fact_order_line "
        "WHERE tenant_id = ?::UUID AND ordered_at <= ? GROUP BY order_id",
        [str(tenant), until],
    ).rows
    return [[p for p in r[0] if p is not None] for r in rows]


def won_deals(warehouse: Warehouse, tenant: UUID, until: datetime) -> pd.DataFrame:
    return _frame(
        warehouse,
        "SELECT deal_id::VARCHAR AS deal, contact_id::VARCHAR AS contact, closed_at, amount, "
        "currency FROM fact_deal WHERE tenant_id = ?::UUID AND status = 'won' "
        "AND contact_id IS NOT NULL AND amount IS NOT NULL AND closed_at <= ?",
        [str(tenant), until],
    )


def touches(warehouse: Warehouse, tenant: UUID, until: datetime) -> pd.DataFrame:
    return _frame(
        warehouse,
        "SELECT contact_id::VARCHAR AS contact, occurred_at, campaign_id::VARCHAR AS campaign, "
        "channel FROM fact_touch WHERE tenant_id = ?::UUID AND occurred_at <= ? "
        "ORDER BY occurred_at",
        [str(tenant), until],
    )


def open_pipeline(warehouse: Warehouse, tenant: UUID) -> pd.DataFrame:
    """Open deals with the probability to weight them by: their own, else the tenant's
    historical win rate of closed deals."""
    return _frame(
        warehouse,
        "WITH rate AS (SELECT count(*) FILTER (WHERE status = 'won') / "
        "nullif(count(*) FILTER (WHERE status IN ('won', 'lost')), 0) AS r "
        "FROM fact_deal WHERE tenant_id = ?::UUID) "
        "SELECT currency, count(*) AS deals, sum(amount) AS value, "
        "sum(amount * coalesce(probability, (SELECT r FROM rate), 0)) AS weighted "
        "FROM fact_deal WHERE tenant_id = ?::UUID AND status = 'open' AND amount IS NOT NULL "
        "GROUP BY currency ORDER BY currency",
        [str(tenant), str(tenant)],
    )


def first_event(warehouse: Warehouse, tenant: UUID) -> datetime | None:
    rows = warehouse.read_now(
        "SELECT min(time) FROM raw_events WHERE tenant_id = ?::UUID", [str(tenant)]
    ).rows
    return rows[0][0] if rows else None
