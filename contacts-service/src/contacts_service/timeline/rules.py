"""Which events make a timeline line, and how: the one declarative table (C8).

Each event type maps to a :class:`Rule`: the line's ``kind``, where the contact and
account ids sit in the event's ``data`` (dotted paths), how to title and summarise it
(templates over ``data``, ``{deal.name}``; or a function for what a template cannot
say), and the ``mode``:

- ``add``: one new line per event (a deal moved, an email opened);
- ``upsert``: one line per thing (``ref``, e.g. ``note:<id>``), replaced by its later
  versions (a note's edit) and never by an older one (``sequence``);
- ``remove``: the thing is gone, its line too (a note deleted).

Adding a source of activity is adding a line here (and its payload model in crm_proto);
a unit test checks every path against the registered payload schema.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

Text = str | Callable[[Mapping[str, Any]], str | None]


class Kind(StrEnum):
    NOTE = "note"
    DOCUMENT = "document"
    CALL = "call"
    EMAIL = "email"
    DEAL = "deal"
    QUOTE = "quote"
    ORDER = "order"
    TASK = "task"
    TICKET = "ticket"
    CAMPAIGN_TOUCH = "campaign_touch"
    RECORD = "record"
    """The contact or account record itself: created, linked, unlinked."""
    CONSENT = "consent"


@dataclass(frozen=True)
class Rule:
    kind: Kind
    title: Text
    contact: str | None = "contact_id"
    account: str | None = "account_id"
    summary: Text | None = None
    occurred_at: str | None = None
    """Path of the time the activity happened; the event's ``time`` when unset."""
    mode: Literal["add", "upsert", "remove"] = "add"
    ref: str | None = None
    """Template of the thing's key, for ``upsert`` and ``remove``."""


def lookup(data: Mapping[str, Any], path: str | None) -> Any:
    """The value at a dotted ``path`` of ``data``; None when any step is missing."""
    if not path:
        return None
    value: Any = data
    for step in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(step)
    return value


class _Template(string.Formatter):
    def get_field(self, field_name: str, args: Any, kwargs: Any) -> tuple[Any, str]:
        value = lookup(kwargs, field_name)
        return ("" if value is None else value), field_name


_TEMPLATE = _Template()
_TRIM = " :·,"


def render(text: Text | None, data: Mapping[str, Any], *, limit: int = 500) -> str | None:
    """The text for ``data``: missing values render empty, dangling separators go."""
    if text is None:
        return None
    out = text(data) if callable(text) else _TEMPLATE.vformat(text, (), data)
    out = " ".join((out or "").split()).strip(_TRIM)
    return out[:limit] or None


def _excerpt(path: str, size: int = 280) -> Callable[[Mapping[str, Any]], str | None]:
    def excerpt(data: Mapping[str, Any]) -> str | None:
        body = lookup(data, path)
        if not body:
            return None
        return body if len(body) <= size else body[: size - 1].rstrip() + "…"

    return excerpt


def _consent(data: Mapping[str, Any]) -> str:
    parts = [f"{c['channel']}/{c['purpose']}: {c['status']}" for c in data.get("changes", [])]
    if data.get("do_not_contact"):
        parts.insert(0, "do not contact")
    return ", ".join(parts)


def _stage_outcome(data: Mapping[str, Any]) -> str:
    won = data.get("won")
    outcome = "Won" if won is True else "Lost" if won is False else None
    amount = render("{amount} {currency}", data)
    return " · ".join(x for x in (outcome, amount) if x)


def _call_title(data: Mapping[str, Any]) -> str:
    return f"{str(data.get('direction') or '').capitalize()} call {data.get('number') or ''}"


def _call_summary(data: Mapping[str, Any]) -> str:
    minutes, seconds = divmod(int(data.get("duration_seconds") or 0), 60)
    return f"{minutes}m {seconds:02d}s · {data.get('outcome') or ''}"


def _linked(data: Mapping[str, Any]) -> str:
    role = data.get("role")
    return "Linked to an account" + (f" as {role}" if role else "")


_NOTE = Rule(
    Kind.NOTE,
    "Note",
    contact="note.contact_id",
    account="note.account_id",
    summary=_excerpt("note.body"),
    occurred_at="note.created_at",
    mode="upsert",
    ref="note:{note.id}",
)

RULES: dict[str, Rule] = {
    # -- contacts-service's own events
    "crm.contacts.note.created.v1": _NOTE,
    "crm.contacts.note.updated.v1": _NOTE,
    "crm.contacts.note.deleted.v1": Rule(Kind.NOTE, "", mode="remove", ref="note:{id}"),
    "crm.contacts.attachment.added.v1": Rule(
        Kind.DOCUMENT,
        "Document attached: {attachment.filename}",
        contact="attachment.contact_id",
        account="attachment.account_id",
        occurred_at="attachment.created_at",
        mode="upsert",
        ref="attachment:{attachment.id}",
    ),
    "crm.contacts.attachment.removed.v1": Rule(
        Kind.DOCUMENT, "", mode="remove", ref="attachment:{id}"
    ),
    "crm.contacts.contact.created.v1": Rule(
        Kind.RECORD,
        "Contact created: {contact.first_name} {contact.last_name}",
        contact="contact.id",
        account="contact.account_id",
        occurred_at="contact.created_at",
    ),
    "crm.contacts.account.created.v1": Rule(
        Kind.RECORD,
        "Account created: {account.name}",
        contact=None,
        account="account.id",
        occurred_at="account.created_at",
    ),
    "crm.contacts.contact.consent_changed.v1": Rule(
        Kind.CONSENT, "Consent changed", account=None, summary=_consent
    ),
    "crm.contacts.contact_account.linked.v1": Rule(Kind.RECORD, _linked, summary="{role}"),
    "crm.contacts.contact_account.unlinked.v1": Rule(Kind.RECORD, "Unlinked from an account"),
    # -- sales-service (contract in crm_proto.events.activity)
    "crm.sales.deal.created.v1": Rule(
        Kind.DEAL, "Deal created: {name}", summary="{stage} · {amount} {currency}"
    ),
    "crm.sales.deal.stage_changed.v1": Rule(
        Kind.DEAL, "Deal {name} moved to {to_stage}", summary=_stage_outcome
    ),
    "crm.sales.quote.sent.v1": Rule(
        Kind.QUOTE, "Quote {number} sent", summary="{total} {currency}", occurred_at="sent_at"
    ),
    "crm.sales.quote.decided.v1": Rule(
        Kind.QUOTE, "Quote {number} {state}", summary="{total.amount} {total.currency}"
    ),
    "crm.sales.order.created.v1": Rule(
        Kind.ORDER,
        "Order placed",
        contact=None,
        summary="{total.amount} {total.currency} · {source}",
        occurred_at="ordered_at",
    ),
    "crm.sales.task.completed.v1": Rule(
        Kind.TASK, "Task completed: {title}", summary="{type}", occurred_at="completed_at"
    ),
    # -- support-service
    "crm.support.ticket.created.v1": Rule(
        Kind.TICKET,
        "Ticket opened: {subject}",
        summary="{number} · {priority} priority via {channel}",
    ),
    "crm.support.call.logged.v1": Rule(
        Kind.CALL, _call_title, summary=_call_summary, occurred_at="started_at"
    ),
    # -- marketing-service
    "crm.marketing.email.sent.v1": Rule(Kind.EMAIL, "Email sent: {subject}", account=None),
    "crm.marketing.email.opened.v1": Rule(Kind.EMAIL, "Email opened: {subject}", account=None),
    "crm.marketing.email.clicked.v1": Rule(
        Kind.EMAIL, "Email link clicked: {subject}", account=None, summary="{url}"
    ),
}
