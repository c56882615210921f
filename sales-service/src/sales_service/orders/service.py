"""Order use cases (S9): orders from accepted quotes, imported in batches, and the
ledger entries they post."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any
from uuid import UUID

from crm_chassis.crud import Call, View
from crm_chassis.errors import NotFound, ValidationFailed
from crm_chassis.ids import new_id
from crm_chassis.orm import utcnow
from crm_chassis.outbox import emit
from crm_chassis.outbox_bulk import BulkEvents, copy_events, fast_id
from crm_chassis.resources import errors_of
from crm_proto.events import sales
from crm_proto.money import Money
from pydantic import ValidationError

from sales_service.common.events import SOURCE
from sales_service.orders import ledger
from sales_service.orders.models import LedgerEntry, Order
from sales_service.orders.repository import OrderRepository
from sales_service.orders.schemas import (
    ItemResult,
    LedgerEntryIn,
    OrderImportItem,
    OrderRead,
)
from sales_service.quotes.totals import rounded

VIEW = View("order", OrderRead, path="/v1/orders")
MAX_BATCH = 1000


def created_event(order: Order) -> Any:
    data = sales.OrderCreated(
        order_id=order.id,
        account_id=order.account_id,
        deal_id=order.deal_id,
        quote_id=order.quote_id,
        external_id=order.external_id,
        source=order.source,
        channel_level=order.channel_level,
        partner_id=order.partner_id,
        total=order.total,
        ordered_at=order.ordered_at,
    )
    return SOURCE.event(
        "crm.sales.order.created.v1",
        data,
        tenant_id=order.tenant_id,
        subject=order.id,
        sequence=order.version,
    )


async def place(call: Call, order: Order) -> Order:
    """Add ``order``, post its debit to the account's ledger, announce both."""
    await OrderRepository(call.session, call.actor).add(order)
    await emit(call.session, created_event(order))
    if order.account_id is not None:
        await ledger.post(
            call,
            account_id=order.account_id,
            kind="order",
            amount=order.total,
            order_id=order.id,
            reference=order.external_id,
        )
    return order


def _parse(raw: Any) -> tuple[OrderImportItem | None, list[dict[str, str]] | None]:
    try:
        return OrderImportItem.model_validate(raw), None
    except ValidationError as exc:
        return None, errors_of(exc)


async def import_batch(call: Call, raw_items: list[Any]) -> list[ItemResult]:
    """Up to 1,000 orders in one transaction, each answered on its own: ``created``,
    ``existing`` (its external id was imported before) or ``invalid`` (with errors).
    Rows, ledger entries and events go in with one statement or COPY each."""
    if len(raw_items) > MAX_BATCH:
        raise ValidationFailed(
            f"A batch takes at most {MAX_BATCH} orders",
            errors=[{"field": "items", "message": f"at most {MAX_BATCH}"}],
        )
    results: list[ItemResult] = []
    valid: dict[str, tuple[int, OrderImportItem]] = {}
    for index, raw in enumerate(raw_items):
        item, errors = _parse(raw)
        if item is None or item.external_id in valid:
            errors = errors or [{"field": "external_id", "message": "twice in this batch"}]
            results.append(ItemResult(index=index, status="invalid", errors=errors))
            continue
        valid[item.external_id] = (index, item)
    now = utcnow()
    rows = []
    for external_id, (_, item) in valid.items():
        total = sum(
            (rounded(line.unit_price.amount * line.quantity, item.currency) for line in item.lines),
            Money.zero(item.currency),
        )
        rows.append(
            {
                "id": fast_id(),
                "tenant_id": call.tenant_id,
                "version": 1,
                "created_at": now,
                "updated_at": now,
                "account_id": item.account_id,
                "external_id": external_id,
                "source": "import",
                "channel_level": item.channel_level,
                "partner_id": item.partner_id,
                "total_amount": total.amount,
                "total_currency": total.currency,
                "ordered_at": item.ordered_at or now,
                "lines": [line.model_dump(mode="json") for line in item.lines],
            }
        )
    repo = OrderRepository(call.session, call.actor)
    inserted = await repo.insert_new(rows)
    earlier = await repo.ids_by_external([e for e in valid if e not in inserted])
    for external_id, (index, _) in valid.items():
        if external_id in inserted:
            results.append(
                ItemResult(
                    index=index, status="created", id=inserted[external_id], external_id=external_id
                )
            )
        else:
            results.append(
                ItemResult(
                    index=index,
                    status="existing",
                    id=earlier.get(external_id),
                    external_id=external_id,
                )
            )
    new_rows = [r for r in rows if r["external_id"] in inserted]
    await _post_and_announce(call, new_rows, now)
    return sorted(results, key=lambda r: r.index)


async def _post_and_announce(call: Call, rows: list[dict[str, Any]], now: Any) -> None:
    """The imported orders' debits (one balance move per account and currency) and
    every event, through the bulk path."""
    bulk = BulkEvents(source=SOURCE.source, tenant_id=call.tenant_id, time=now)
    by_account: dict[tuple[UUID, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_account[(row["account_id"], row["total_currency"])].append(row)
        bulk.add(
            "crm.sales.order.created.v1",
            {
                "order_id": str(row["id"]),
                "account_id": str(row["account_id"]),
                "deal_id": None,
                "quote_id": None,
                "external_id": row["external_id"],
                "source": "import",
                "channel_level": row["channel_level"],
                "partner_id": str(row["partner_id"]) if row["partner_id"] else None,
                "total": {
                    "amount": format(row["total_amount"], "f"),
                    "currency": row["total_currency"],
                },
                "ordered_at": row["ordered_at"].isoformat().replace("+00:00", "Z"),
            },
            subject=row["id"],
            sequence=1,
        )
    repo = ledger.LedgerRepository(call.session, call.actor)
    entries = []
    for (account_id, currency), orders in sorted(by_account.items(), key=lambda kv: str(kv[0])):
        delta = sum((o["total_amount"] for o in orders), Decimal(0))
        balance = await repo.move_balance(account_id, currency, delta) - delta
        for order in orders:
            balance += order["total_amount"]
            entries.append(
                LedgerEntry(
                    id=new_id(),
                    tenant_id=call.tenant_id,
                    account_id=account_id,
                    kind="order",
                    currency=currency,
                    debit=order["total_amount"],
                    credit=Decimal(0),
                    balance=balance,
                    order_id=order["id"],
                    reference=order["external_id"],
                    created_at=now,
                )
            )
    call.session.add_all(entries)
    await call.session.flush()
    for entry in entries:
        bulk.add_event(ledger.posted_event(entry))
    await copy_events(call.session, bulk)


async def post_entry(call: Call, account_id: UUID, body: LedgerEntryIn) -> LedgerEntry:
    if body.corrects_id is not None:
        corrected = await ledger.LedgerRepository(call.session, call.actor).entry(body.corrects_id)
        if corrected is None or corrected.account_id != account_id:
            raise NotFound(f"No ledger entry {body.corrects_id} on this account")
    return await ledger.post(
        call,
        account_id=account_id,
        kind=body.kind,
        amount=body.amount,
        corrects_id=body.corrects_id,
        reference=body.reference,
    )
