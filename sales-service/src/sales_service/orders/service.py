"""Order use cases (S9): orders from accepted quotes, imported in batches, and the
ledger entries they post."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from crm_chassis.batches import paused_gc
from crm_chassis.crud import Call, View
from crm_chassis.errors import NotFound, ValidationFailed
from crm_chassis.money import canonical
from crm_chassis.orm import utcnow
from crm_chassis.outbox import emit
from crm_chassis.outbox_bulk import BulkEvents, copy_events, fast_id
from crm_chassis.resources import errors_of
from crm_proto.events import sales
from crm_proto.money import MINOR_UNITS
from pydantic import TypeAdapter, ValidationError

from sales_service.common.events import SOURCE, about
from sales_service.orders import ledger
from sales_service.orders.models import LedgerEntry, Order
from sales_service.orders.repository import ImportRow, OrderRepository
from sales_service.orders.schemas import (
    ItemResult,
    LedgerEntryIn,
    OrderImportItem,
    OrderLineIn,
    OrderRead,
)
from sales_service.quotes.totals import ROUNDING

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
_LINES = TypeAdapter(list[OrderLineIn])
MINOR_UNIT_STEP = {code: Decimal(1).scaleb(-places) for code, places in MINOR_UNITS.items()}
ZERO_AT = {code: format(Decimal(0).quantize(step), "f") for code, step in MINOR_UNIT_STEP.items()}


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
    ``existing`` (its external id was imported before, or by a concurrent batch) or
    ``invalid`` (with errors). The orders, the balances they move and their ledger entries
    go in with one statement (``OrderRepository.import_new``), their events with one COPY."""
    if len(raw_items) > MAX_BATCH:
        raise ValidationFailed(
            f"A batch takes at most {MAX_BATCH} orders",
            errors=[{"field": "items", "message": f"at most {MAX_BATCH}"}],
        )
    with paused_gc():
        return await _import(call, raw_items)


async def _import(call: Call, raw_items: list[Any]) -> list[ItemResult]:
    results: list[ItemResult] = []
    valid: dict[str, tuple[int, OrderImportItem]] = {}
    for index, (item, errors) in enumerate(_parse_all(raw_items)):
        if item is None or item.external_id in valid:
            errors = errors or [{"field": "external_id", "message": "twice in this batch"}]
            results.append(ItemResult(index=index, status="invalid", errors=errors))
            continue
        valid[item.external_id] = (index, item)
    now = utcnow()
    rows = [_row(item) for _, item in valid.values()]
    repo = OrderRepository(call.session, call.actor)
    balances = await repo.import_new(rows, now)
    created = [row for row in rows if row.id in balances]
    earlier = await repo.ids_by_external([r.external_id for r in rows if r.id not in balances])
    for (index, _), row in zip(valid.values(), rows, strict=True):
        new = row.id in balances
        results.append(
            ItemResult(
                index=index,
                status="created" if new else "existing",
                id=row.id if new else earlier.get(row.external_id),
                external_id=row.external_id,
            )
        )
    await copy_events(call.session, _events(call, created, balances, now))
    return sorted(results, key=lambda r: r.index)


def _row(item: OrderImportItem) -> ImportRow:
    """The order ``item`` makes: its total is the sum of its lines, each rounded to the
    currency's minor unit (as ``quotes.totals.rounded``, in plain ``Decimal``)."""
    cent = MINOR_UNIT_STEP[item.currency]
    total = sum(
        ((line.unit_price.amount * line.quantity).quantize(cent, ROUNDING) for line in item.lines),
        Decimal(0),
    ).quantize(cent)
    return ImportRow(
        id=fast_id(),
        entry_id=fast_id(),
        external_id=item.external_id,
        account_id=item.account_id,
        channel_level=item.channel_level,
        partner_id=item.partner_id,
        total=total,
        currency=item.currency,
        ordered_at=item.ordered_at,
        lines=_LINES.dump_json(item.lines).decode(),
    )


def _money_json(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": format(canonical(amount, currency), "f"), "currency": currency}


def _events(
    call: Call, created: list[ImportRow], balances: dict[UUID, Decimal], now: datetime
) -> BulkEvents:
    """Each created order's ``order.created`` and its debit's ``ledger.entry_posted``,
    through the bulk path (no pydantic per event: the dicts are shaped as the proto models
    dump, which a test holds them to)."""
    bulk = BulkEvents(source=SOURCE.source, tenant_id=call.tenant_id, time=now)
    for row in created:
        total = {"amount": format(row.total, "f"), "currency": row.currency}  # at minor unit
        bulk.add(
            "crm.sales.order.created.v1",
            {
                "order_id": str(row.id),
                "account_id": str(row.account_id),
                "deal_id": None,
                "quote_id": None,
                "external_id": row.external_id,
                "source": "import",
                "channel_level": row.channel_level,
                "partner_id": str(row.partner_id) if row.partner_id else None,
                "total": total,
                "ordered_at": (row.ordered_at or now).isoformat().replace("+00:00", "Z"),
            },
            subject=row.id,
            sequence=1,
        )
        bulk.add(
            "crm.sales.ledger.entry_posted.v1",
            {
                "entry_id": str(row.entry_id),
                "account_id": str(row.account_id),
                "kind": "order",
                "debit": total,
                "credit": {"amount": ZERO_AT[row.currency], "currency": row.currency},
                "balance": _money_json(balances[row.id], row.currency),
                "order_id": str(row.id),
                "corrects_id": None,
            },
            subject=row.account_id,
        )
    return bulk


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
