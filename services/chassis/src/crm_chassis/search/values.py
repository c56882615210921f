"""Filter values: each JSON value checked and converted for its field's kind.

Pure functions; a bad value raises :class:`Invalid` naming the part of the filter at
fault (``value``, or ``value[2]`` for an item of a list). Phone numbers are read by the
caller's :data:`PhoneReader` (the tenant's region decides what ``020 7946 0000`` is);
without one only E.164 numbers are understood.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from crm_chassis.search.fields import Kind, Target
from crm_chassis.search.request import Operator

PhoneReader = Callable[[str], str | None]
"""A phone number as written -> its E.164 form, or None when it is not one."""

Op = Operator
MAX_IN = 100
_E164 = re.compile(r"^\+[1-9][0-9]{5,14}$")


def e164_only(v: str) -> str | None:
    """The default :data:`PhoneReader`: ``v`` when it already is an E.164 number."""
    v = re.sub(r"[ ().\-/]", "", v)
    return v if _E164.match(v) else None


MAX_TEXT = 500


class Invalid(ValueError):
    """A bad filter; ``part`` is where, relative to the filter (``value``, ``value[2]``)."""

    def __init__(self, part: str, message: str) -> None:
        super().__init__(message)
        self.part = part
        self.message = message


def text_value(v: Any) -> str:
    if not isinstance(v, str):
        raise ValueError("must be a string")
    if len(v) > MAX_TEXT:
        raise ValueError(f"must be at most {MAX_TEXT} characters")
    return v


def decimal_value(v: Any) -> Decimal:
    if isinstance(v, bool) or not isinstance(v, int | float | str):
        raise ValueError("must be a number")
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError("must be a finite number")
    try:
        d = Decimal(str(v).strip())
    except InvalidOperation:
        raise ValueError("must be a number") from None
    if not d.is_finite():
        raise ValueError("must be a finite number")
    return d


def _datetime(v: Any) -> datetime:
    if not isinstance(v, str):
        raise ValueError("must be an RFC 3339 date-time or a date")
    try:
        dt = datetime.fromisoformat(v.strip())
    except ValueError:
        raise ValueError("must be an RFC 3339 date-time or a date") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _date(v: Any) -> date:
    try:
        return date.fromisoformat(text_value(v).strip())
    except ValueError:
        raise ValueError("must be a date YYYY-MM-DD") from None


def _one_of(options: Sequence[str]) -> Any:
    def check(v: Any) -> str:
        if v not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return str(v)

    return check


def _phone(read: PhoneReader) -> Any:
    def check(v: Any) -> str:
        e164 = read(text_value(v))
        if e164 is None:
            raise ValueError("must be a phone number")
        return e164

    return check


def _digits(v: Any) -> str:
    digits = re.sub(r"\D", "", text_value(v))
    if not digits:
        raise ValueError("must contain digits")
    return digits


def _tag(v: Any) -> str:
    tag = " ".join(text_value(v).split()).lower()
    if not tag:
        raise ValueError("must not be empty")
    return tag


def _uuid(v: Any) -> UUID:
    try:
        return UUID(text_value(v))
    except ValueError:
        raise ValueError("must be a UUID") from None


def bool_value(v: Any) -> bool:
    if not isinstance(v, bool):
        raise ValueError("must be true or false")
    return v


def _parser(target: Target, op: Operator, phone: PhoneReader) -> Any:
    """The function turning one JSON value of ``target`` into its query value."""
    kind = target.kind
    if op in (Op.CONTAINS, Op.STARTS_WITH) and kind in (Kind.PHONE, Kind.PHONES):
        return _digits
    if op in (Op.CONTAINS, Op.STARTS_WITH) and kind in (
        Kind.TEXT,
        Kind.KEY,
        Kind.EMAIL,
        Kind.EMAILS,
    ):
        return lambda v: _nonempty(text_value(v))
    parsers: dict[Kind, Any] = {
        Kind.TEXT: text_value,
        Kind.KEY: text_value,
        Kind.EMAIL: lambda v: text_value(v).strip().lower(),
        Kind.EMAILS: lambda v: text_value(v).strip().lower(),
        Kind.PHONE: _phone(phone),
        Kind.PHONES: _phone(phone),
        Kind.ENUM: _one_of(target.options),
        Kind.MULTI_ENUM: _one_of(target.options),
        Kind.UUID: _uuid,
        Kind.NUMBER: decimal_value,
        Kind.MONEY: decimal_value,
        Kind.DATE: _date,
        Kind.DATETIME: _datetime,
        Kind.BOOL: bool_value,
        Kind.TAGS: _tag,
    }
    return parsers[kind]


def _nonempty(v: str) -> str:
    if not v:
        raise ValueError("must not be empty")
    return v


def parse_value(target: Target, op: Operator, raw: Any, phone: PhoneReader = e164_only) -> Any:
    """The query value of ``raw``: a list for ``in`` (and ``contains`` on sets)."""
    parse = _parser(target, op, phone)
    many = op is Op.IN or (op is Op.CONTAINS and target.kind in (Kind.TAGS, Kind.MULTI_ENUM))
    if raw is None:
        raise Invalid("value", "is required")
    if not many:
        try:
            return parse(raw)
        except ValueError as exc:
            raise Invalid("value", str(exc)) from None
    items = raw if isinstance(raw, list) else [raw] if op is Op.CONTAINS else None
    if items is None or not items:
        raise Invalid("value", "must be a non-empty list")
    if len(items) > MAX_IN:
        raise Invalid("value", f"must have at most {MAX_IN} items")
    out = []
    for i, item in enumerate(items):
        try:
            out.append(parse(item))
        except ValueError as exc:
            raise Invalid(f"value[{i}]", str(exc)) from None
    return out
