"""Column mapping: which file column feeds which contact field, and a row -> item.

Targets: the contact's plain fields (``first_name``, ``email``, ``external_id``...),
``emails[N]`` / ``phones[N]`` (N from 1; lowest first, so ``emails[1]`` is primary unless
``email`` is mapped too), ``emails`` / ``phones`` / ``tags`` split on ``;``,
``address.<part>`` or ``addresses[N].<part>`` (part: label, street, city, region,
postal_code, country) and ``custom.<key>``. An empty target ignores the column. Empty
cells are left out, so an upsert never clears a field from a blank cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from contacts_service.custom_fields.rules import FieldDef, FieldType

SCALARS = frozenset(
    {
        "first_name",
        "last_name",
        "title",
        "company",
        "email",
        "phone",
        "account_id",
        "owner_id",
        "lifecycle_stage",
        "do_not_contact",
        "membership_level",
        "member_since",
        "external_id",
    }
)
SPLIT = frozenset({"emails", "phones", "tags"})
ADDRESS_PARTS = frozenset({"label", "street", "city", "region", "postal_code", "country"})
_INDEXED = re.compile(r"^(emails|phones)\[([1-9][0-9]?)\]$")
_ADDRESS = re.compile(r"^(?:address|addresses\[([1-9][0-9]?)\])\.([a-z_]+)$")
_CUSTOM = re.compile(r"^custom\.([a-z][a-z0-9_]{0,62})$")
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}
LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class Target:
    """A parsed mapping target; ``path`` is the item path its values land on."""

    kind: str  # scalar | split | indexed | address | custom
    name: str
    index: int = 0
    part: str = ""


class MappingError(ValueError):
    pass


def parse_target(text: str) -> Target | None:
    """The target named by ``text``; None to ignore the column; MappingError if unknown."""
    t = text.strip()
    if not t or t == "-":
        return None
    if t in SCALARS:
        return Target("scalar", t)
    if t in SPLIT:
        return Target("split", t)
    if m := _INDEXED.match(t):
        return Target("indexed", m.group(1), int(m.group(2)))
    if (m := _ADDRESS.match(t)) and m.group(2) in ADDRESS_PARTS:
        return Target("address", "addresses", int(m.group(1) or 1), m.group(2))
    if m := _CUSTOM.match(t):
        return Target("custom", m.group(1))
    raise MappingError(f"unknown target {t!r}")


def auto_target(column: str) -> Target | None:
    """A column whose header names a target maps to it ("First Name" -> first_name)."""
    name = "_".join(column.strip().lower().replace("-", " ").split())
    try:
        return parse_target(name)
    except MappingError:
        return None


def resolve(columns: list[str], explicit: dict[str, str]) -> dict[int, Target]:
    """Column position -> target: ``explicit`` first, other headers by their name."""
    missing = [c for c in explicit if c not in columns]
    if missing:
        raise MappingError(f"no column {', '.join(repr(c) for c in missing)} in the file")
    out: dict[int, Target] = {}
    for pos, column in enumerate(columns):
        target = parse_target(explicit[column]) if column in explicit else auto_target(column)
        if target is not None:
            out[pos] = target
    if not out:
        raise MappingError("no column maps to a contact field")
    return out


def to_item(
    cells: list[str], targets: dict[int, Target], columns: list[str], defs: dict[str, FieldDef]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The contact item of one row, and item path -> column it came from (for errors)."""
    item: dict[str, Any] = {}
    origin: dict[str, str] = {}
    indexed: dict[str, dict[int, tuple[str, str]]] = {}
    addresses: dict[int, dict[str, str]] = {}
    for pos, target in targets.items():
        if pos >= len(cells):
            continue
        value = cells[pos].strip()
        if not value:
            continue
        column = columns[pos]
        if target.kind == "scalar":
            item[target.name] = value
            origin[target.name] = column
        elif target.kind == "split":
            parts = [p.strip() for p in value.split(LIST_SEPARATOR) if p.strip()]
            if target.name == "tags":
                item["tags"] = parts
                origin["tags"] = column
            else:
                for k, part in enumerate(parts):
                    indexed.setdefault(target.name, {})[k] = (part, column)
        elif target.kind == "indexed":
            indexed.setdefault(target.name, {})[1000 + target.index] = (value, column)
        elif target.kind == "address":
            addresses.setdefault(target.index, {})[target.part] = value
            origin[f"addresses.{target.index}"] = column
        else:
            item.setdefault("custom", {})[target.name] = custom_value(defs.get(target.name), value)
            origin[f"custom.{target.name}"] = column
    for name, entries in indexed.items():
        key = "email" if name == "emails" else "number"
        item[name] = []
        for k, (_, (value, column)) in enumerate(sorted(entries.items())):
            item[name].append({key: value})
            origin[f"{name}.{k}"] = column
    if addresses:
        item["addresses"] = []
        for k, (n, address) in enumerate(sorted(addresses.items())):
            item["addresses"].append(address)
            if (source := origin.pop(f"addresses.{n}", None)) is not None:
                origin[f"addresses.{k}"] = source
    return item, origin


def custom_value(field: FieldDef | None, text: str) -> Any:
    """A cell as the JSON value its custom field takes; left as text when it cannot be
    read, so the field's own validation names the problem."""
    if field is None:
        return text
    if field.type is FieldType.BOOL:
        low = text.lower()
        return True if low in _TRUE else False if low in _FALSE else text
    if field.type is FieldType.MULTI_ENUM:
        return [p.strip() for p in text.split(LIST_SEPARATOR) if p.strip()]
    if field.type is FieldType.MONEY:
        parts = text.split()
        if len(parts) == 2:
            amount, currency = (parts[1], parts[0]) if parts[0].isalpha() else parts
            try:
                Decimal(amount)
            except InvalidOperation:
                return text
            return {"amount": amount, "currency": currency}
    return text


def column_of(field: str, origin: dict[str, str]) -> str | None:
    """The column an error's field (``emails.0.email``) came from: its longest known prefix."""
    parts = field.split(".")
    while parts:
        if (column := origin.get(".".join(parts))) is not None:
            return column
        parts.pop()
    return None
