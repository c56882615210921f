"""Order use cases (S9): orders from accepted quotes, imported in batches, and the
ledger entries they post."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any
from uuid import UUID

from crm_chassis.crud import Call, View
from crm_chassis.errors import NotFound, ValidationFailed
from crm_chassis.money import canonical
from crm_chassis.orm import utcnow
from crm_chassis.outbox import emit
from crm_chassis.outbox_bulk import BulkEvents, copy_events, fast_id
from crm_chassis.resources import errors_of
from crm_proto.events import sales
from crm_proto.money import Money
from pydantic import TypeAdapter, ValidationError

from sales_service.common.events import SOURCE, about
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
    return about("crm.sales.order.created.v1", order, data)


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


_ITEMS = TypeAdapter(list[OrderImportItem])


def _parse(raw: Any) -> tuple[OrderImportItem | None, list[dict[str, str]] | None]:
    try:
        return OrderImportItem.model_validate(raw), None
    except ValidationError as exc:
        return None, errors_of(exc)


def _parse_all(raw_items: list[Any]) -> list[tuple[OrderImportItem | None, Any]]:
    """Every item parsed: the whole list in one validation when it is valid (the common
    case), item by item (for their own errors) when it is not."""
    try:
        return [(item, None) for item in _ITEMS.validate_python(raw_items)]
    except ValidationError:
        return [_parse(raw) for raw in raw_items]


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
    for index, (item, errors) in enumerate(_parse_all(raw_items)):
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
    earlier = await repo.ids_by_external(list(valid))
    rows = [r for r in rows if r["external_id"] not in earlier]
    await repo.copy_new(rows)
    inserted = {r["external_id"]: r["id"] for r in rows}
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
    await _post_and_announce(call, rows, now)
    return sorted(results, key=lambda r: r.index)


def _money_json(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": format(canonical(amount, currency), "f"), "currency": currency}


async def _post_and_announce(call: Call, rows: list[dict[str, Any]], now: Any) -> None:
    """The imported orders' debits (one statement moves every account's balance, one
    inserts the entries) and every event, through the bulk path (no pydantic per event:
    the dicts are shaped as the proto models dump, which a test holds them to)."""
    if not rows:
        return
    bulk = BulkEvents(source=SOURCE.source, tenant_id=call.tenant_id, time=now)
    deltas: dict[tuple[UUID, str], Decimal] = defaultdict(Decimal)
    for row in rows:
        deltas[(row["account_id"], row["total_currency"])] += row["total_amount"]
        bulk.add(
            "crm.sales.order.created.v1", order_created_data(row), subject=row["id"], sequence=1
        )
    repo = ledger.LedgerRepository(call.session, call.actor)
    after = await repo.move_balances(deltas)
    balance = {key: after[key] - delta for key, delta in deltas.items()}  # before this batch
    entries = []
    for row in rows:
        key = (row["account_id"], row["total_currency"])
        balance[key] += row["total_amount"]
        entry = {
            "id": fast_id(),
            "tenant_id": call.tenant_id,
            "account_id": row["account_id"],
            "kind": "order",
            "currency": key[1],
            "debit": row["total_amount"],
            "credit": Decimal(0),
            "balance": balance[key],
            "order_id": row["id"],
            "corrects_id": None,
            "reference": row["external_id"],
            "created_at": now,
        }
        entries.append(entry)
        bulk.add(
            "crm.sales.ledger.entry_posted.v1",
            {
                "entry_id": str(entry["id"]),
                "account_id": str(row["account_id"]),
                "kind": "order",
                "debit": _money_json(row["total_amount"], key[1]),
                "credit": _money_json(Decimal(0), key[1]),
                "balance": _money_json(balance[key], key[1]),
                "order_id": str(row["id"]),
                "corrects_id": None,
            },
            subject=row["account_id"],
        )
    await repo.copy_many(entries)
    await copy_events(call.session, bulk)


def order_created_data(row: dict[str, Any]) -> dict[str, Any]:
    """The ``order.created`` payload of an imported row, as ``OrderCreated`` dumps it."""
    return {
        "order_id": str(row["id"]),
        "account_id": str(row["account_id"]),
        "deal_id": None,
        "quote_id": None,
        "external_id": row["external_id"],
        "source": "import",
        "channel_level": row["channel_level"],
        "partner_id": str(row["partner_id"]) if row["partner_id"] else None,
        "total": _money_json(row["total_amount"], row["total_currency"]),
        "ordered_at": row["ordered_at"].isoformat().replace("+00:00", "Z"),
    }


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
