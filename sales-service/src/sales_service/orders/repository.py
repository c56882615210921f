from __future__ import annotations

from typing import Any

import orjson
from crm_chassis.outbox_bulk import raw_connection
from crm_chassis.repository import TenantRepository
from sqlalchemy import select

from sales_service.orders.models import Order


class OrderRepository(TenantRepository[Order]):
    model = Order
    label = "order"
    sortable = {"created_at": Order.created_at, "ordered_at": Order.ordered_at}

    async def copy_new(self, rows: list[dict[str, Any]]) -> None:
        """COPY ``rows`` (every column of ``orders``, JSONB as text) into the table in the
        session's transaction. The caller checked their external ids are new; a
        concurrent import of the same one fails this one on the unique index (a 409,
        after which a retry answers ``existing``)."""
        if not rows:
            return
        columns = list(rows[0])
        conn = await raw_connection(self.session)
        await conn.copy_records_to_table(
            Order.__tablename__,
            records=[tuple(_copyable(row[c]) for c in columns) for row in rows],
            columns=columns,
        )

    async def ids_by_external(self, external_ids: list[str]) -> dict[str, Any]:
        stmt = select(Order.external_id, Order.id).where(
            Order.tenant_id == self.tenant_id, Order.external_id.in_(external_ids)
        )
        return dict((await self.session.execute(stmt)).all())


def _copyable(value: Any) -> Any:
    """A value as COPY takes it: JSON (lists, dicts) as text, for the JSONB codec."""
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    return value
