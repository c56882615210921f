"""CloudEvents as the other services publish them, for the warehouse's tests.

Types that proto does not register yet (orders, tickets' later changes) are built as raw
envelopes: the warehouse consumes every subject under ``crm.>`` without a proto model.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import uuid_utils
from crm_proto import CloudEvent

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def event(
    type_: str,
    tenant: UUID,
    data: dict[str, Any],
    *,
    at: datetime = T0,
    subject: UUID | None = None,
    sequence: int | None = None,
) -> CloudEvent:
    service = type_.split(".")[1]
    return CloudEvent(
        id=str(uuid_utils.uuid7()),
        source=f"/crm/{service}-service",
        type=type_,
        subject=str(subject or uuid4()),
        time=at,
        data=data,
        tenantid=str(tenant),
        sequence=sequence,
    )


def contact(tenant: UUID, contact_id: UUID, *, version: int, at: datetime = T0, **fields):
    snapshot = {
        "id": str(contact_id),
        "version": version,
        "created_at": T0.isoformat(),
        "updated_at": at.isoformat(),
        **fields,
    }
    type_ = "crm.contacts.contact.created.v1" if version == 1 else "crm.contacts.contact.updated.v1"
    data: dict[str, Any] = {"contact": snapshot}
    if version > 1:
        data["changed"] = list(fields)
    return event(type_, tenant, data, at=at, subject=contact_id, sequence=version)


def order(
    tenant: UUID,
    contact_id: UUID | None,
    total: str,
    *,
    at: datetime = T0,
    currency: str = "EUR",
    lines: list[dict[str, Any]] | None = None,
    order_id: UUID | None = None,
):
    order_id = order_id or uuid4()
    data = {
        "order_id": str(order_id),
        "contact_id": str(contact_id) if contact_id else None,
        "total": total,
        "currency": currency,
        "ordered_at": at.isoformat(),
        "lines": lines or [],
    }
    return event("crm.sales.order.placed.v1", tenant, data, at=at, subject=order_id)


def deal_created(tenant: UUID, deal_id: UUID, *, amount: str, owner: UUID, at=T0, **more):
    data = {
        "deal_id": str(deal_id),
        "name": "Deal",
        "stage": "qualification",
        "amount": amount,
        "currency": "EUR",
        "owner_id": str(owner),
        **more,
    }
    return event("crm.sales.deal.created.v1", tenant, data, at=at, subject=deal_id)


def stage_changed(tenant: UUID, deal_id: UUID, to: str, *, at=T0, won=None, frm=None, **more):
    data = {
        "deal_id": str(deal_id),
        "name": "Deal",
        "from_stage": frm,
        "to_stage": to,
        "won": won,
        **more,
    }
    return event("crm.sales.deal.stage_changed.v1", tenant, data, at=at, subject=deal_id)


def ticket(tenant: UUID, ticket_id: UUID, change: str, *, at=T0, **fields):
    data = {"ticket_id": str(ticket_id), **fields}
    if change == "created":
        data.setdefault("subject", "Broken")
        data.setdefault("priority", "high")
        data.setdefault("channel", "email")
    return event(f"crm.support.ticket.{change}.v1", tenant, data, at=at, subject=ticket_id)
