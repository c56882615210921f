"""A segment's rule tree compiled to one SQL condition over the contacts projection.

:func:`compile_rule` returns a WHERE clause over :class:`ProjectedContact`; the segment
use cases add the tenant and liveness, and run it over one contact (incremental
membership), all contacts (full re-evaluation), or a page (preview). Values are always
bound parameters. Relative windows are measured from ``now``, the time of evaluation,
itself a parameter, so the same rule evaluated later gives the later answer.

A custom field compares by its JSON type: a number with a number, text with text; a
value of another type does not match (never an error at query time).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Numeric,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
)

from marketing_service.contacts.models import ProjectedContact as C
from marketing_service.contacts.models import ProjectedDeal as D
from marketing_service.contacts.models import ProjectedOrder as O
from marketing_service.segments.rules import (
    ATTRIBUTES,
    AllRule,
    AnyRule,
    DealRule,
    EventRule,
    FieldRule,
    NotRule,
    OrderRule,
    Rule,
    TagRule,
)
from marketing_service.tracking.models import Touchpoint as T

_COLUMNS: dict[str, Any] = {name: getattr(C, name) for name in ATTRIBUTES if name != "created_at"}
_COLUMNS["created_at"] = C.contact_created_at


def compile_rule(rule: Rule, now: datetime) -> ColumnElement[bool]:
    """The condition a contact row meets when it is in the segment at ``now``."""
    if isinstance(rule, AllRule):
        return and_(*(compile_rule(r, now) for r in rule.all))
    if isinstance(rule, AnyRule):
        return or_(*(compile_rule(r, now) for r in rule.any))
    if isinstance(rule, NotRule):
        # NULL-safe: "not (x = 1)" must hold for a contact without x.
        return not_(func.coalesce(compile_rule(rule.not_, now), false()))
    if isinstance(rule, TagRule):
        return C.tags.contains([rule.tag])
    if isinstance(rule, EventRule):
        return _event(rule, now)
    if isinstance(rule, DealRule):
        return _deal(rule, now)
    if isinstance(rule, OrderRule):
        return _order(rule, now)
    return _field(rule)


def _field(rule: FieldRule) -> ColumnElement[bool]:
    if rule.field.startswith("custom."):
        return _custom(rule.field.removeprefix("custom."), rule)
    column = _COLUMNS[rule.field]
    kind = ATTRIBUTES[rule.field]
    value: Any = rule.value
    if kind == "text" and isinstance(value, str) and rule.field == "email":
        value = value.lower()
    if kind == "time" and isinstance(value, str):
        value = datetime.fromisoformat(value)
    return _compare(column, rule.op, value, text=kind == "text")


def _compare(column: Any, op: str, value: Any, *, text: bool) -> ColumnElement[bool]:
    if op == "exists":
        return column.is_not(None) if value in (None, True) else column.is_(None)
    if op == "in":
        return column.in_(value)
    if op == "neq":
        return or_(column.is_(None), column != value)
    if op in ("contains", "starts_with"):
        if not text:
            return false()
        pattern = _like_escape(str(value))
        return column.ilike(f"%{pattern}%" if op == "contains" else f"{pattern}%", escape="\\")
    return {
        "eq": lambda: column == value,
        "lt": lambda: column < value,
        "lte": lambda: column <= value,
        "gt": lambda: column > value,
        "gte": lambda: column >= value,
    }[op]()


def _custom(key: str, rule: FieldRule) -> ColumnElement[bool]:
    element = C.custom[key]
    value = rule.value
    if rule.op == "exists":
        present = C.custom.has_key(key)
        return present if value in (None, True) else not_(present)
    if rule.op == "eq":
        return C.custom.contains({key: value})  # served by the GIN index
    if rule.op == "neq":
        return not_(C.custom.contains({key: value}))
    if rule.op == "in":
        return or_(
            *(C.custom.contains({key: v}) for v in (value if isinstance(value, list) else []))
        )
    if rule.op == "contains" and not isinstance(value, str):
        return or_(C.custom.contains({key: [value]}))  # a multi-enum holding it
    if isinstance(value, bool):
        return false()
    if isinstance(value, int | float):
        number = case((func.jsonb_typeof(element) == "number", cast(element.astext, Numeric)))
        return _compare(number, rule.op, value, text=False)
    text = case((func.jsonb_typeof(element) == "string", element.astext))
    if rule.op == "contains":
        return or_(
            _compare(text, "contains", value, text=True),
            C.custom.contains({key: [value]}),
        )
    return _compare(text, rule.op, value, text=True)


def _event(rule: EventRule, now: datetime) -> ColumnElement[bool]:
    criteria = [T.tenant_id == C.tenant_id, T.contact_id == C.id, T.kind == rule.event]
    if rule.name is not None:
        criteria.append(T.name == rule.name)
    if rule.campaign_id is not None:
        criteria.append(T.campaign_id == rule.campaign_id)
    if rule.within_days is not None:
        criteria.append(T.occurred_at >= literal(now) - timedelta(days=rule.within_days))
    if rule.min_count == 1:
        return exists().where(*criteria)
    # Count no further than needed: LIMIT inside, so a busy contact costs min_count rows.
    hits = select(T.id).where(*criteria).limit(rule.min_count).subquery()
    return select(func.count()).select_from(hits).scalar_subquery() >= rule.min_count


def _deal(rule: DealRule, now: datetime) -> ColumnElement[bool]:
    mine = [D.tenant_id == C.tenant_id, D.contact_id == C.id]
    if rule.deal == "open":
        return exists().where(*mine, D.won.is_(None))
    last_won = select(func.max(D.closed_at)).where(*mine, D.won.is_(True)).scalar_subquery()
    if rule.older_than_days:
        return last_won < literal(now) - timedelta(days=rule.older_than_days)
    if rule.within_days:
        return last_won >= literal(now) - timedelta(days=rule.within_days)
    return last_won.is_not(None)


def _order(rule: OrderRule, now: datetime) -> ColumnElement[bool]:
    """The contact's last order: its account's or one of its deals' (each probe indexed)."""
    of_account = (
        select(func.max(O.ordered_at))
        .where(O.tenant_id == C.tenant_id, O.account_id == C.account_id)
        .scalar_subquery()
    )
    of_contact = (
        select(func.max(O.ordered_at))
        .where(O.tenant_id == C.tenant_id, O.contact_id == C.id)
        .scalar_subquery()
    )
    last = func.greatest(of_account, of_contact)  # NULLs ignored; NULL when neither has one
    if rule.older_than_days:
        return last < literal(now) - timedelta(days=rule.older_than_days)
    if rule.within_days:
        return last >= literal(now) - timedelta(days=rule.within_days)
    return last.is_not(None)


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
