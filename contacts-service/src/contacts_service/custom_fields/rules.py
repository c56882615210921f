"""Custom field values: validated and normalised against the tenant's definitions (C3).

Pure functions, so the rules are unit tested without a database; the service loads the
definitions and calls :func:`validate_values` on every write path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from contacts_service.common.phones import to_e164

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_TEXT = 5000


class FieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    MONEY = "money"
    DATE = "date"
    ENUM = "enum"
    MULTI_ENUM = "multi_enum"
    BOOL = "bool"
    URL = "url"
    EMAIL = "email"
    PHONE = "phone"


@dataclass(frozen=True)
class FieldDef:
    key: str
    type: FieldType
    options: tuple[str, ...] = ()
    required: bool = False


class Invalid(ValueError):
    pass


def _number(v: Any) -> int | float | Decimal:
    if isinstance(v, bool):
        raise Invalid("must be a number")
    if isinstance(v, int | float):
        if v != v or v in (float("inf"), float("-inf")):
            raise Invalid("must be a finite number")
        return v
    if isinstance(v, str):
        try:
            d = Decimal(v.strip())
        except InvalidOperation:
            raise Invalid("must be a number") from None
        if not d.is_finite():
            raise Invalid("must be a finite number")
        return int(d) if d == d.to_integral_value() and "." not in v else float(d)
    raise Invalid("must be a number")


def _money(v: Any) -> dict[str, str]:
    if not isinstance(v, dict) or set(v) != {"amount", "currency"}:
        raise Invalid('must be {"amount": "12.50", "currency": "EUR"}')
    if isinstance(v["amount"], bool) or not isinstance(v["amount"], str | int):
        raise Invalid("amount must be a decimal string")
    try:
        amount = Decimal(str(v["amount"]).strip())
    except InvalidOperation:
        raise Invalid("amount must be a decimal string") from None
    if not amount.is_finite():
        raise Invalid("amount must be finite")
    currency = str(v["currency"]).upper()
    if not _CURRENCY.match(currency):
        raise Invalid("currency must be an ISO 4217 code")
    return {"amount": str(amount), "currency": currency}


def _date(v: Any) -> str:
    if not isinstance(v, str):
        raise Invalid("must be a date YYYY-MM-DD")
    try:
        return date.fromisoformat(v).isoformat()
    except ValueError:
        raise Invalid("must be a date YYYY-MM-DD") from None


def _text(v: Any) -> str:
    if not isinstance(v, str):
        raise Invalid("must be a string")
    if len(v) > MAX_TEXT:
        raise Invalid(f"must be at most {MAX_TEXT} characters")
    return v


def normalise(field: FieldDef, v: Any, *, phone_region: str = "US") -> Any:
    """The stored form of value ``v`` of ``field``; :class:`Invalid` with the reason."""
    match field.type:
        case FieldType.TEXT:
            return _text(v)
        case FieldType.NUMBER:
            return _number(v)
        case FieldType.MONEY:
            return _money(v)
        case FieldType.DATE:
            return _date(v)
        case FieldType.BOOL:
            if not isinstance(v, bool):
                raise Invalid("must be true or false")
            return v
        case FieldType.ENUM:
            if v not in field.options:
                raise Invalid(f"must be one of {', '.join(field.options)}")
            return v
        case FieldType.MULTI_ENUM:
            if not isinstance(v, list) or any(x not in field.options for x in v):
                raise Invalid(f"must be a list of {', '.join(field.options)}")
            return sorted(set(v), key=field.options.index)
        case FieldType.URL:
            if not isinstance(v, str) or not _URL.match(v):
                raise Invalid("must be an http(s) URL")
            return v
        case FieldType.EMAIL:
            if not isinstance(v, str) or not _EMAIL.match(v):
                raise Invalid("must be an email address")
            return v.lower()
        case FieldType.PHONE:
            e164 = to_e164(v, phone_region) if isinstance(v, str) else None
            if e164 is None:
                raise Invalid("must be a phone number")
            return e164
    raise Invalid("unknown field type")  # pragma: no cover - exhaustive match


def validate_values(
    definitions: dict[str, FieldDef],
    values: dict[str, Any],
    *,
    phone_region: str = "US",
    enforce_required: bool = True,
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Normalised values and one error per bad field (``custom.<key>``).

    ``None`` removes a value. With ``enforce_required`` (creation) a required field must
    have a value; without it (a patch), only removing a required value is an error, so
    records made before a field became required stay editable.
    """
    out: dict[str, Any] = {}
    errors: list[dict[str, str]] = []
    for key, value in values.items():
        field = definitions.get(key)
        if field is None:
            errors.append({"field": f"custom.{key}", "message": "unknown custom field"})
            continue
        if value is None:
            if field.required and not enforce_required:
                errors.append({"field": f"custom.{key}", "message": "is required"})
            continue
        try:
            out[key] = normalise(field, value, phone_region=phone_region)
        except Invalid as exc:
            errors.append({"field": f"custom.{key}", "message": str(exc)})
    for key, field in definitions.items():
        if (
            enforce_required
            and field.required
            and key not in out
            and not any(e["field"] == f"custom.{key}" for e in errors)
        ):
            errors.append({"field": f"custom.{key}", "message": "is required"})
    return out, errors
