"""Order use cases (S9): orders from accepted quotes, imported in batches, and the
ledger entries they post."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson
from crm_chassis.crud import Call, View
from crm_chassis.errors import NotFound, ValidationFailed
from crm_chassis.money import canonical
from crm_chassis.orm import utcnow
from crm_chassis.outbox import emit
from crm_chassis.outbox_bulk import BulkEvents, copy_events, fast_id
from crm_chassis.resources import errors_of
from crm_proto.events import sales
from crm_proto.money import MAX_INTEGER_DIGITS
from pydantic import TypeAdapter, ValidationError

from sales_service.common.events import SOURCE, about
from sales_service.common.money import MINOR_UNIT_STEP
from sales_service.orders import ledger
from sales_service.orders.models import LedgerEntry, Order
from sales_service.orders.repository import ImportRow, OrderRepository
from sales_service.orders.schemas import (
    MAX_BATCH,
    ItemResult,
    LedgerEntryIn,
    OrderBatch,
    OrderImportItem,
    OrderLineIn,
    OrderRead,
)
from sales_service.quotes.totals import ROUNDING

VIEW = View("order", OrderRead, path="/v1/orders")


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


_LINES = TypeAdapter(list[list[OrderLineIn]])
ZERO, AMOUNT_LIMIT = Decimal(0), Decimal(10) ** MAX_INTEGER_DIGITS
ZERO_AT = {code: format(Decimal(0).quantize(step), "f") for code, step in MINOR_UNIT_STEP.items()}

Parsed = tuple[OrderImportItem | None, list[dict[str, str]] | None]
"""An item of a batch: the order, or its errors."""


def parse_batch(body: bytes) -> list[Parsed] | None:
    """Every item of an import's body when the whole body is valid (the common case):
    validated straight from its bytes in one pass; None when anything in it is not
    (:func:`parse_items` then answers each item, or the body, on its own)."""
    try:
        return [(item, None) for item in OrderBatch.model_validate_json(body).items]
    except ValidationError:
        return None


def parse_items(raw_items: list[Any]) -> list[Parsed]:
    """Each item of a batch (the parsed JSON of its ``items``) validated on its own, for
    its own errors, as JSON, as :func:`parse_batch` validates it (a JSON number is not an
    amount)."""
    if len(raw_items) > MAX_BATCH:
        raise ValidationFailed(
            f"A batch takes at most {MAX_BATCH} orders",
            errors=[{"field": "items", "message": f"at most {MAX_BATCH}"}],
        )
    return [_parse(orjson.dumps(raw)) for raw in raw_items]


def _parse(raw: bytes) -> Parsed:
    try:
        return OrderImportItem.model_validate_json(raw), None
    except ValidationError as exc:
        return None, errors_of(exc)


async def import_batch(call: Call, parsed: list[Parsed]) -> list[ItemResult]:
    """Up to 1,000 orders in one transaction, each answered on its own: ``created``,
    ``existing`` (its external id was imported before, or by a concurrent batch) or
    ``invalid`` (with errors). The orders, the balances they move and their ledger entries
    go in with one statement (``OrderRepository.import_new``), their events with one COPY."""
    results: list[ItemResult] = []
    valid: dict[str, tuple[int, OrderImportItem, ImportRow]] = {}
    for index, (item, errors) in enumerate(parsed):
        if item is not None and item.external_id in valid:
            item, errors = None, [{"field": "external_id", "message": "twice in this batch"}]
        row = None
        if item is not None:
            row, errors = _row(item)
        if item is None or row is None:
            results.append(ItemResult(index=index, status="invalid", errors=errors))
            continue
        valid[row.external_id] = (index, item, row)
    now = utcnow()
    rows = [row for _, _, row in valid.values()]
    lines = _LINES.dump_json([item.lines for _, item, _ in valid.values()])
    repo = OrderRepository(call.session, call.actor)
    balances = await repo.import_new(rows, lines, now)
    created = [(row, b) for row, b in zip(rows, balances, strict=True) if b is not None]
    earlier = await repo.ids_by_external(
        [row.external_id for row, b in zip(rows, balances, strict=True) if b is None]
    )
    for (index, _, row), balance in zip(valid.values(), balances, strict=True):
        new = balance is not None
        results.append(
            ItemResult(
                index=index,
                status="created" if new else "existing",
                id=row.id if new else earlier.get(row.external_id),
                external_id=row.external_id,
            )
        )
    await copy_events(call.session, _events(call, created, now))
    return sorted(results, key=lambda r: r.index)


def _row(item: OrderImportItem) -> tuple[ImportRow | None, list[dict[str, str]] | None]:
    """The order ``item`` makes, or why it cannot: its total is the sum of its lines, each
    rounded to the currency's minor unit (as ``quotes.totals.rounded``, in plain
    ``Decimal``), and must fit an amount (each line's price and quantity do, their products
    and sum may not)."""
    cent = MINOR_UNIT_STEP[item.currency]
    total = ZERO
    for line in item.lines:  # at the minor unit, as each term is
        total += (line.unit_price.amount * line.quantity).quantize(cent, ROUNDING)
    if total >= AMOUNT_LIMIT:
        message = f"the total {total} has more than {MAX_INTEGER_DIGITS} digits before the point"
        return None, [{"field": "lines", "message": message}]
    return ImportRow(
        id=fast_id(),
        entry_id=fast_id(),
        external_id=item.external_id,
        account_id=item.account_id,
        channel_level=item.channel_level,
        partner_id=item.partner_id,
        total=format(total, "f"),
        currency=item.currency,
        ordered_at=item.ordered_at,
    ), None


def _amount_text(amount: Decimal, currency: str) -> str:
    """``amount`` as the proto ``Money`` of it dumps (``canonical``): quantized to the
    minor unit when that is exact (an imported total or a balance of them), as is."""
    at_minor_unit = amount.quantize(MINOR_UNIT_STEP[currency])
    return format(at_minor_unit if at_minor_unit == amount else canonical(amount, currency), "f")


def _utc_text(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _events(call: Call, created: list[tuple[ImportRow, Decimal]], now: datetime) -> BulkEvents:
    """Each created order's ``order.created`` and its debit's ``ledger.entry_posted``,
    through the bulk path (no pydantic per event: the dicts are shaped as the proto models
    dump, which a test holds them to; ids and times as the strings they dump to)."""
    bulk = BulkEvents(source=SOURCE.source, tenant_id=call.tenant_id, time=now)
    now_text = _utc_text(now)
    for row, balance in created:
        order_id, account_id, currency = str(row.id), str(row.account_id), row.currency
        total = {"amount": row.total, "currency": currency}  # at minor unit
        ordered_at = now_text if row.ordered_at is None else _utc_text(row.ordered_at)
        bulk.add(
            "crm.sales.order.created.v1",
            {
                "order_id": order_id,
                "account_id": account_id,
                "deal_id": None,
                "quote_id": None,
                "external_id": row.external_id,
                "source": "import",
                "channel_level": row.channel_level,
                "partner_id": str(row.partner_id) if row.partner_id else None,
                "total": total,
                "ordered_at": ordered_at,
            },
            subject=order_id,
            sequence=1,
        )
        bulk.add(
            "crm.sales.ledger.entry_posted.v1",
            {
                "entry_id": str(row.entry_id),
                "account_id": account_id,
                "kind": "order",
                "debit": total,
                "credit": {"amount": ZERO_AT[currency], "currency": currency},
                "balance": {
                    "amount": _amount_text(balance, currency),
                    "currency": currency,
                },
                "order_id": order_id,
                "corrects_id": None,
            },
            subject=account_id,
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
