"""From a domain event to the rows it adds to the star schema: one declarative table.

Each rule maps an event, by ``<service>.<aggregate>.<change>`` (any version: a ``.v2`` that
adds fields keeps its rule), to :class:`Row` s. Payloads are read by field name with
fallbacks (``pick``), so a producer that adds optional fields, or nests its record under a
snapshot (``{"deal": {...}}``), still loads; what no rule claims is in ``raw_events``
all the same and is picked up by a rebuild once a rule names it. ``docs/analytics.md``
lists the fields each rule reads.

How a row is applied (:mod:`analytics_service.warehouse.loader`):

- ``append``: a new fact row (one per event).
- ``merge``: an accumulating snapshot (a deal, an order, a ticket) keyed by
  :data:`~analytics_service.warehouse.schema.UPSERT_KEYS`; the given non-null fields
  replace the stored ones, except :data:`KEEP_FIRST` fields, which keep their first value.
- ``version``: a new version of a slowly changing dimension (type 2) keyed by
  :data:`SCD_KEYS`; the current version is closed at the new one's ``valid_from``, and an
  older ``version`` than the current one is ignored (a late redelivery).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from uuid import UUID

from crm_proto import CloudEvent

Mode = Literal["append", "merge", "version"]
KEEP_FIRST = frozenset({"created_at", "first_reply_at", "first_seen"})
SCD_KEYS: dict[str, tuple[str, str]] = {
    "dim_contact": ("tenant_id", "contact_id"),
    "dim_account": ("tenant_id", "account_id"),
}


@dataclass(frozen=True)
class Row:
    table: str
    values: dict[str, Any]
    mode: Mode = "append"


Rule = Callable[[CloudEvent, dict[str, Any]], list[Row]]

# -- reading payloads ----------------------------------------------------------------------


def pick(data: dict[str, Any], *paths: str) -> Any:
    """The first non-null of ``paths`` (dotted for nesting: ``"deal.id"``) in ``data``."""
    for path in paths:
        node: Any = data
        for key in path.split("."):
            node = node.get(key) if isinstance(node, dict) else None
        if node is not None:
            return node
    return None


def snapshot(data: dict[str, Any], name: str) -> dict[str, Any]:
    """The record under ``name`` when the payload nests it (``{"deal": {...}}``), else the
    payload itself."""
    nested = data.get(name)
    return nested if isinstance(nested, dict) else data


def uuid_of(value: Any) -> UUID | None:
    try:
        return None if value is None else UUID(str(value))
    except ValueError:
        return None


def decimal_of(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, dict):  # a Money object: {"amount": "1.00", "currency": "EUR"}
        value = value.get("amount")
    try:
        return None if value is None else Decimal(str(value))
    except InvalidOperation:
        return None


def currency_of(data: dict[str, Any], *paths: str) -> str | None:
    for path in paths:
        value = pick(data, path)
        if isinstance(value, dict):
            value = value.get("currency")
        if isinstance(value, str) and len(value) == 3:
            return value.upper()
    return None


def time_of(event: CloudEvent, data: dict[str, Any], *paths: str) -> datetime:
    value = pick(data, *paths)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is not None:
                return parsed
        except ValueError:
            pass
    return event.time


def _tenant(event: CloudEvent) -> UUID:
    return UUID(event.tenantid)


def _change(event: CloudEvent) -> str:
    return event.type.split(".")[3]


# -- contacts -----------------------------------------------------------------------------


def _primary_address(snapshot: dict[str, Any]) -> dict[str, Any]:
    addresses = snapshot.get("addresses") or []
    if isinstance(snapshot.get("address"), dict):
        addresses = [snapshot["address"], *addresses]
    chosen = next((a for a in addresses if a.get("primary")), addresses[0] if addresses else {})
    return chosen if isinstance(chosen, dict) else {}


def contact_version(event: CloudEvent, data: dict[str, Any]) -> list[Row]:
    snap = snapshot(data, "contact")
    contact_id = uuid_of(pick(snap, "id", "contact_id")) or uuid_of(event.subject)
    if contact_id is None:
        return []
    address = _primary_address(snap)
    values = {
        "tenant_id": _tenant(event),
        "contact_id": contact_id,
        "valid_from": event.time,
        "version": pick(snap, "version") or event.sequence,
        "account_id": uuid_of(snap.get("account_id")),
        "owner_id": uuid_of(snap.get("owner_id")),
        "team_id": uuid_of(snap.get("team_id")),
        "lifecycle_stage": snap.get("lifecycle_stage"),
        "country": address.get("country"),
        "region": address.get("region"),
        "city": address.get("city"),
        "created_at": time_of(event, snap, "created_at"),
        "deleted": _change(event) in ("deleted", "erased"),
        "_event_id": UUID(event.id),  # for the lifecycle fact the version may give rise to
    }
    return [Row("dim_contact", values, "version")]


def account_version(event: CloudEvent, data: dict[str, Any]) -> list[Row]:
    snap = snapshot(data, "account")
    account_id = uuid_of(pick(snap, "id", "account_id")) or uuid_of(event.subject)
    if account_id is None:
        return []
    address = _primary_address(snap)
    values = {
        "tenant_id": _tenant(event),
        "account_id": account_id,
        "valid_from": event.time,
        "version": pick(snap, "version") or event.sequence,
        "name": snap.get("name"),
        "industry": snap.get("industry"),
        "type": snap.get("type"),
        "employees": snap.get("employees"),
        "owner_id": uuid_of(snap.get("owner_id")),
        "team_id": uuid_of(snap.get("team_id")),
        "country": address.get("country"),
        "region": address.get("region"),
        "deleted": _change(event) == "deleted",
    }
    return [Row("dim_account", values, "version")]


# -- sales --------------------------------------------------------------------------------

_CLOSED = {True: "won", False: "lost"}


def deal_state(event: CloudEvent, data: dict[str, Any]) -> list[Row]:
    snap = snapshot(data, "deal")
    deal_id = uuid_of(pick(snap, "deal_id", "id")) or uuid_of(event.subject)
    if deal_id is None:
        return []
    change = _change(event)
    won = pick(snap, "won")
    status = _CLOSED.get(won) if isinstance(won, bool) else None
    if change in ("won", "lost"):
        status = change
    # the stage's name, from created and stage_changed; a snapshot's stage_id is not a
    # name and is left out (a stage move publishes stage_changed as well)
    stage = pick(snap, "to_stage", "stage")
    values: dict[str, Any] = {
        "tenant_id": _tenant(event),
        "deal_id": deal_id,
        "name": pick(snap, "name"),
        "pipeline_id": uuid_of(pick(snap, "pipeline_id")),
        "stage": stage,
        "status": status or ("open" if change == "created" else None),
        "amount": decimal_of(pick(snap, "amount", "value")),
        "currency": currency_of(snap, "currency", "amount", "value"),
        "owner_id": uuid_of(pick(snap, "owner_id")),
        "team_id": uuid_of(pick(snap, "team_id")),
        "contact_id": uuid_of(pick(snap, "contact_id")),
        "account_id": uuid_of(pick(snap, "account_id")),
        "created_at": event.time if change == "created" else None,
        "closed_at": event.time if status in ("won", "lost") else None,
        "probability": _share(pick(snap, "probability")),
        "updated_at": event.time,
    }
    rows = [Row("fact_deal", values, "merge")]
    if change == "stage_changed":
        rows.append(
            Row(
                "fact_deal_stage_change",
                {
                    "tenant_id": _tenant(event),
                    "event_id": UUID(event.id),
                    "deal_id": deal_id,
                    "occurred_at": event.time,
                    "from_stage": pick(snap, "from_stage"),
                    "to_stage": stage or "",
                    "won": won if isinstance(won, bool) else None,
                    "amount": values["amount"],
                    "currency": values["currency"],
                    "owner_id": values["owner_id"],
                },
            )
        )
    return rows


def _share(value: Any) -> float | None:
    """A probability as a share: sales publishes percents (0-100)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return value / 100 if value > 1 else float(value)


def order_state(event: CloudEvent, data: dict[str, Any]) -> list[Row]:
    snap = snapshot(data, "order")
    order_id = uuid_of(pick(snap, "order_id", "id")) or uuid_of(event.subject)
    total = decimal_of(pick(snap, "total", "amount", "grand_total"))
    currency = currency_of(snap, "currency", "total", "amount")
    if order_id is None or total is None or currency is None:
        return []
    tenant, at = _tenant(event), time_of(event, snap, "ordered_at", "placed_at", "created_at")
    contact = uuid_of(pick(snap, "contact_id", "customer_id"))
    order = {
        "tenant_id": tenant,
        "order_id": order_id,
        "contact_id": contact,
        "account_id": uuid_of(pick(snap, "account_id")),
        "owner_id": uuid_of(pick(snap, "owner_id")),
        "ordered_at": at,
        "total": total,
        "currency": currency,
        "status": pick(snap, "status") or _change(event),
    }
    rows = [Row("fact_order", order, "merge")]
    for number, line in enumerate(pick(snap, "lines", "items") or [], start=1):
        quantity = decimal_of(pick(line, "quantity", "qty")) or Decimal(1)
        unit = decimal_of(pick(line, "unit_price", "price"))
        amount = decimal_of(pick(line, "amount", "total", "line_total"))
        if amount is None:
            amount = (unit or Decimal(0)) * quantity
        product = uuid_of(pick(line, "product_id", "product.id"))
        name = pick(line, "product_name", "name", "product.name")
        rows.append(
            Row(
                "fact_order_line",
                {
                    "tenant_id": tenant,
                    "order_id": order_id,
                    "line_no": pick(line, "line_no", "position") or number,
                    "product_id": product,
                    "product_name": name,
                    "quantity": quantity,
                    "unit_price": unit,
                    "amount": amount,
                    "currency": currency_of(line, "currency") or currency,
                    "contact_id": contact,
                    "ordered_at": at,
                },
                "merge",
            )
        )
        if product is not None:
            rows.append(product_row(tenant, product, {"name": name}, at))
    return rows


def product_row(tenant: UUID, product: UUID, snap: dict[str, Any], at: datetime) -> Row:
    return Row(
        "dim_product",
        {
            "tenant_id": tenant,
            "product_id": product,
            "name": pick(snap, "name"),
            "sku": pick(snap, "sku", "code"),
            "category": pick(snap, "category", "family"),
            "updated_at": at,
        },
        "merge",
    )


def product_state(event: CloudEvent, data: dict[str, Any]) -> list[Row]:
    snap = snapshot(data, "product")
    product = uuid_of(pick(snap, "id", "product_id")) or uuid_of(event.subject)
    return [] if product is None else [product_row(_tenant(event), product, snap, event.time)]


def activity(kind: str, *time_fields: str) -> Rule:
    """A rule appending an activity (for activity KPIs) of ``kind``."""

    def rule(event: CloudEvent, data: dict[str, Any]) -> list[Row]:
        values = {
            "tenant_id": _tenant(event),
            "event_id": UUID(event.id),
            "kind": kind,
            "owner_id": uuid_of(pick(data, "owner_id", "completed_by", "user_id", "agent_id")),
            "contact_id": uuid_of(pick(data, "contact_id")),
            "account_id": uuid_of(pick(data, "account_id")),
            "occurred_at": time_of(event, data, *time_fields),
        }
        return [Row("fact_activity", values)]

    return rule


# -- support ------------------------------------------------------------------------------

_TICKET_TIMES = {
    "replied": "first_reply_at",
    "first_replied": "first_reply_at",
    "resolved": "resolved_at",
    "closed": "resolved_at",
}


def ticket_state(event: CloudEvent, data: dict[str, Any]) -> list[Row]:
    snap = snapshot(data, "ticket")
    ticket = uuid_of(pick(snap, "ticket_id", "id")) or uuid_of(event.subject)
    if ticket is None:
        return []
    change = _change(event)
    aggregate = event.type.split(".")[2]
    status = pick(snap, "to_status", "status")
    agent_replied = (
        change == "message_added" and snap.get("author") == "agent" and snap.get("public")
    )
    resolved = change in ("resolved", "closed") or status in _RESOLVED
    values: dict[str, Any] = {
        "tenant_id": _tenant(event),
        "ticket_id": ticket,
        "contact_id": uuid_of(pick(snap, "contact_id", "requester_id")),
        "account_id": uuid_of(pick(snap, "account_id", "organisation_id")),
        "owner_id": uuid_of(pick(snap, "assignee_id", "owner_id", "agent_id")),
        "priority": pick(snap, "priority"),
        # a message's channel is not the ticket's
        "channel": None if change == "message_added" else pick(snap, "channel"),
        "status": status or {"created": "open"}.get(change, _status_of(change)),
        "created_at": time_of(event, snap, "created_at") if change == "created" else None,
        "first_reply_at": time_of(event, snap, "first_reply_at", "replied_at")
        if change in ("replied", "first_replied") or agent_replied or pick(snap, "first_reply_at")
        else None,
        "resolved_at": time_of(event, snap, "resolved_at", "solved_at", "closed_at")
        if resolved or pick(snap, "resolved_at", "solved_at")
        else None,
        "csat": pick(snap, "csat", "rating", "score")
        if "csat" in change or aggregate == "survey"
        else None,
        "updated_at": event.time,
    }
    rows = [Row("fact_ticket", values, "merge")]
    breach = pick(snap, "metric.metric", "metric", "target")
    if "sla" in change or change in ("breached", "sla_breached", "sla_met"):
        outcome = "met" if change.endswith("met") else "breached"
        metric = str(breach or "resolution")
        rows.append(
            Row(
                "fact_sla_outcome",
                {
                    "tenant_id": _tenant(event),
                    "event_id": UUID(event.id),
                    "ticket_id": ticket,
                    "metric": metric,
                    "outcome": outcome,
                    "occurred_at": event.time,
                },
            )
        )
        column = "first_reply_breached" if "first" in metric else "resolution_breached"
        values[column] = outcome == "breached"
    return rows


_RESOLVED = frozenset({"solved", "resolved", "closed"})


def _status_of(change: str) -> str | None:
    return {"resolved": "resolved", "closed": "closed", "reopened": "open"}.get(change)


def call_logged(event: CloudEvent, data: dict[str, Any]) -> list[Row]:
    data = snapshot(data, "call")
    call = uuid_of(pick(data, "call_id", "id")) or uuid_of(event.subject)
    if call is None:
        return []
    started = time_of(event, data, "started_at")
    values = {
        "tenant_id": _tenant(event),
        "call_id": call,
        "contact_id": uuid_of(pick(data, "contact_id")),
        "owner_id": uuid_of(pick(data, "agent_id", "owner_id", "user_id")),
        "direction": pick(data, "direction"),
        "started_at": started,
        "duration_seconds": pick(data, "duration_seconds") or 0,
        "outcome": pick(data, "outcome"),
    }
    return [Row("fact_call", values, "merge"), *activity("call", "started_at")(event, data)]


# -- marketing ----------------------------------------------------------------------------


#: Marketing aggregates whose events reach a contact (others, such as segment
#: membership or scores, are not touchpoints unless they name a campaign).
TOUCHING = frozenset({"email", "sms", "push", "behaviour", "form", "page", "ad", "webinar"})


def touch(event: CloudEvent, data: dict[str, Any]) -> list[Row]:
    """A marketing touchpoint: a contact reached by a channel, or by a campaign."""
    contact = uuid_of(pick(data, "contact_id"))
    aggregate, change = event.type.split(".")[2:4]
    if contact is None or (aggregate not in TOUCHING and pick(data, "campaign_id") is None):
        return []
    values = {
        "tenant_id": _tenant(event),
        "event_id": UUID(event.id),
        "contact_id": contact,
        "campaign_id": uuid_of(pick(data, "campaign_id")),
        "channel": str(pick(data, "channel") or aggregate),
        "kind": change,
        "occurred_at": time_of(event, data, "at", "occurred_at"),
    }
    return [Row("fact_touch", values)]


def campaign_state(event: CloudEvent, data: dict[str, Any]) -> list[Row]:
    snap = snapshot(data, "campaign")
    campaign = uuid_of(pick(snap, "id", "campaign_id")) or uuid_of(event.subject)
    if campaign is None:
        return []
    values = {
        "tenant_id": _tenant(event),
        "campaign_id": campaign,
        "name": pick(snap, "name"),
        "channel": pick(snap, "channel", "type"),
        "updated_at": event.time,
    }
    return [Row("dim_campaign", values, "merge")]


# -- the table ----------------------------------------------------------------------------

RULES: dict[str, Rule] = {
    "contacts.contact.created": contact_version,
    "contacts.contact.updated": contact_version,
    "contacts.contact.deleted": contact_version,
    "contacts.contact.erased": contact_version,
    "contacts.account.created": account_version,
    "contacts.account.updated": account_version,
    "contacts.account.deleted": account_version,
    "sales.deal.created": deal_state,
    "sales.deal.updated": deal_state,
    "sales.deal.stage_changed": deal_state,
    "sales.deal.won": deal_state,
    "sales.deal.lost": deal_state,
    "sales.product.created": product_state,
    "sales.product.updated": product_state,
    "sales.quote.sent": activity("quote_sent", "sent_at"),
    "sales.task.completed": activity("task_completed", "completed_at"),
    "sales.activity.logged": activity("activity_logged", "at", "occurred_at"),
    "support.call.logged": call_logged,
    "support.call.updated": call_logged,
    "support.survey.answered": ticket_state,
    "sales.quote.decided": activity("quote_decided"),
    "marketing.campaign.created": campaign_state,
    "marketing.campaign.updated": campaign_state,
}
for _change_name in ("created", "placed", "confirmed", "paid", "updated", "fulfilled"):
    RULES[f"sales.order.{_change_name}"] = order_state
for _change_name in [
    "created",
    "updated",
    "replied",
    "first_replied",
    "resolved",
    "closed",
    "reopened",
    "sla_breached",
    "sla_met",
    "csat_recorded",
    "csat_submitted",
    "status_changed",
    "message_added",
    "assigned",
]:
    RULES[f"support.ticket.{_change_name}"] = ticket_state


def rule_for(event_type: str) -> Rule | None:
    """The rule of an event type (any version); marketing events naming a contact are
    touchpoints unless a rule of their own claims them."""
    parts = event_type.split(".")
    rule = RULES.get(".".join(parts[1:4]))
    if rule is None and parts[1] == "marketing":
        return touch
    return rule


def rows_of(events: Iterable[CloudEvent]) -> list[Row]:
    """Every star row of ``events``, in their order."""
    rows: list[Row] = []
    for event in events:
        rule = rule_for(event.type)
        if rule is not None:
            rows.extend(rule(event, event.data))
    return rows
