from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from crm_chassis.outbox_bulk import raw_connection
from crm_chassis.repository import TenantRepository

from sales_service.orders.models import Order


@dataclass(slots=True)
class ImportRow:
    """One imported order as :meth:`OrderRepository.import_new` writes it, with the id of
    the ledger entry of its debit; ``total`` is at the currency's minor unit (its lines go
    beside the rows, as one JSON array for the whole batch)."""

    id: UUID
    entry_id: UUID
    external_id: str
    account_id: UUID
    channel_level: str
    partner_id: UUID | None
    total: str  # its text: asyncpg's numeric encoding costs more than PostgreSQL's parsing
    currency: str
    ordered_at: datetime | None


# One round trip for a whole batch: the new orders (a known external id, even one a
# concurrent batch is writing, is skipped: ON CONFLICT waits for that batch and answers
# "existing"), the balances they move (locked in a fixed order, so concurrent batches do
# not deadlock) and one ledger entry per created order, whose running balance is the
# account's balance before the batch plus the debits up to it, in the order of the items.
# Orders are written in external-id order for the same reason as the balances.
IMPORT = """
WITH item AS (
    SELECT id, entry_id, external_id, account_id, channel_level, partner_id,
           total::numeric AS total, currency, ordered_at, lines, n
      FROM ROWS FROM (
        unnest($2::uuid[]), unnest($3::uuid[]), unnest($4::text[]), unnest($5::uuid[]),
        unnest($6::text[]), unnest($7::uuid[]), unnest($8::text[]), unnest($9::text[]),
        unnest($10::timestamptz[]), jsonb_array_elements($11::jsonb)
    ) WITH ORDINALITY AS t(id, entry_id, external_id, account_id, channel_level,
                           partner_id, total, currency, ordered_at, lines, n)
), created AS (
    INSERT INTO orders (id, tenant_id, version, created_at, updated_at, account_id,
                        external_id, source, channel_level, partner_id, total_amount,
                        total_currency, ordered_at, lines)
    SELECT id, $1, 1, $12, $12, account_id, external_id, 'import', channel_level,
           partner_id, total, currency, coalesce(ordered_at, $12), lines
      FROM item ORDER BY external_id
    ON CONFLICT (tenant_id, external_id) DO NOTHING
    RETURNING id
), debit AS (
    SELECT item.* FROM item JOIN created USING (id)
), moved AS (
    INSERT INTO account_balances AS b (tenant_id, account_id, currency, balance)
    SELECT $1, account_id, currency, sum(total) FROM debit
     GROUP BY account_id, currency ORDER BY account_id, currency
    ON CONFLICT (tenant_id, account_id, currency)
    DO UPDATE SET balance = b.balance + EXCLUDED.balance
    RETURNING account_id, currency, balance
), posted AS (
    SELECT d.n, d.entry_id, d.account_id, d.currency, d.total, d.id, d.external_id,
           m.balance - sum(d.total) OVER account + sum(d.total) OVER (account ORDER BY d.n)
               AS balance
      FROM debit d JOIN moved m USING (account_id, currency)
    WINDOW account AS (PARTITION BY d.account_id, d.currency)
), entry AS (
    INSERT INTO ledger_entries (id, tenant_id, account_id, kind, currency, debit, credit,
                                balance, order_id, reference, created_at)
    SELECT entry_id, $1, account_id, 'order', currency, total, 0, balance, id, external_id,
           $12
      FROM posted ORDER BY n
)
SELECT n, balance::text FROM posted
"""

BY_EXTERNAL_ID = """
SELECT external_id, id FROM orders WHERE tenant_id = $1 AND external_id = ANY($2::text[])
"""


class OrderRepository(TenantRepository[Order]):
    model = Order
    label = "order"
    sortable = {"created_at": Order.created_at, "ordered_at": Order.ordered_at}

    async def import_new(
        self, rows: list[ImportRow], lines: bytes, now: datetime
    ) -> list[Decimal | None]:
        """Write the orders of ``rows`` whose external id is new, with their debits on
        the ledger, in the session's transaction; ``lines`` is the JSON array of each
        row's lines, in the order of ``rows``. For each row, the balance after its order's
        entry, or None when its external id was there already."""
        balances: list[Decimal | None] = [None] * len(rows)
        if not rows:
            return balances
        conn = await raw_connection(self.session)
        result = await conn.fetch(
            IMPORT,
            self.tenant_id,
            [r.id for r in rows],
            [r.entry_id for r in rows],
            [r.external_id for r in rows],
            [r.account_id for r in rows],
            [r.channel_level for r in rows],
            [r.partner_id for r in rows],
            [r.total for r in rows],
            [r.currency for r in rows],
            [r.ordered_at for r in rows],
            lines.decode(),
            now,
        )
        for n, balance in result:  # as text: Decimal() of it costs less than asyncpg's
            balances[n - 1] = Decimal(balance)  # numeric decoding
        return balances

    async def ids_by_external(self, external_ids: list[str]) -> dict[str, Any]:
        if not external_ids:
            return {}
        conn = await raw_connection(self.session)
        found = await conn.fetch(BY_EXTERNAL_ID, self.tenant_id, external_ids)
        return {r["external_id"]: r["id"] for r in found}
