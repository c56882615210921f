"""Survivorship: the record a merge leaves, computed from the records merged (pure rules).

Records come in their JSON form (the ``*Read`` schemas). The primary wins every field it
has a value for; an empty field is filled from the others, the most recently updated
first; a caller's ``choices`` ({field: record id}) override both. Lists are united rather
than chosen (emails, phones, addresses, tags), consent keeps the most restrictive answer,
and custom values are filled key by key. Every decision is reported in ``sources`` so a
preview can show who won each field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Record = dict[str, Any]

CONTACT_SCALARS = (
    "first_name",
    "last_name",
    "title",
    "company",
    "account_id",
    "owner_id",
    "lifecycle_stage",
    "membership_level",
    "member_since",
    "external_id",
)
ACCOUNT_SCALARS = (
    "name",
    "domain",
    "industry",
    "type",
    "employees",
    "website",
    "phone",
    "address",
    "parent_id",
    "owner_id",
    "external_id",
)
UNITED = ("emails", "phones", "addresses", "tags", "consent", "do_not_contact")
_CUSTOM_KEY = re.compile(r"^custom\.[a-z][a-z0-9_]{0,62}$")

# Consent: a denial recorded anywhere must survive; a grant beats "unknown", which only
# says that nobody asked.
_RESTRICTIVENESS = {"unknown": 0, "granted": 1, "denied": 2}


class InvalidChoice(ValueError):
    """``field_choices`` named a field that cannot be chosen or a record not in the merge."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("invalid field choices")
        self.errors = errors


@dataclass
class Outcome:
    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def ordered(primary: Record, others: Iterable[Record]) -> list[Record]:
    """The primary, then the others most recently updated first (stable on ties)."""

    def updated(r: Record) -> datetime:
        value = r.get("updated_at")
        if isinstance(value, datetime):
            return value
        return datetime.fromisoformat(value) if value else datetime.min.replace(tzinfo=UTC)

    rest = sorted(others, key=updated, reverse=True)
    return [primary, *rest]


def merge_contacts(primary: Record, others: list[Record], choices: dict[str, str]) -> Outcome:
    records = ordered(primary, others)
    _check_choices(choices, CONTACT_SCALARS, records)
    out = Outcome()
    for name in CONTACT_SCALARS:
        _scalar(out, name, records, choices)
    _united(out, "emails", records, lambda e: str(e.get("email", "")).lower())
    _united(out, "phones", records, _phone_key)
    _united(out, "addresses", records, _address_key)
    _tags(out, records)
    out.values["consent"] = merge_consent([r.get("consent") or {} for r in records])
    out.sources["consent"] = {
        "rule": "most_restrictive",
        "from": [str(r["id"]) for r in records if r.get("consent")],
    }
    dnc = [str(r["id"]) for r in records if r.get("do_not_contact")]
    out.values["do_not_contact"] = bool(dnc)
    out.sources["do_not_contact"] = {"rule": "most_restrictive", "from": dnc}
    _custom(out, records, choices)
    return out


def merge_accounts(primary: Record, others: list[Record], choices: dict[str, str]) -> Outcome:
    records = ordered(primary, others)
    _check_choices(choices, ACCOUNT_SCALARS, records)
    out = Outcome()
    for name in ACCOUNT_SCALARS:
        _scalar(out, name, records, choices)
    _tags(out, records)
    _custom(out, records, choices)
    return out


def merge_consent(consents: list[dict[str, dict[str, str]]]) -> dict[str, dict[str, str]]:
    """Per channel and purpose, the most restrictive status any record holds."""
    merged: dict[str, dict[str, str]] = {}
    for consent in consents:
        for channel, purposes in consent.items():
            into = merged.setdefault(channel, {})
            for purpose, status in purposes.items():
                was = into.get(purpose)
                if was is None or _RESTRICTIVENESS.get(status, 0) > _RESTRICTIVENESS.get(was, 0):
                    into[purpose] = status
    return merged


def _check_choices(
    choices: dict[str, str], scalars: tuple[str, ...], records: list[Record]
) -> None:
    ids = {str(r["id"]) for r in records}
    errors = []
    for name, record_id in choices.items():
        where = f"field_choices.{name}"
        if name in UNITED:
            errors.append({"field": where, "message": "this field is united, not chosen"})
        elif name not in scalars and not _CUSTOM_KEY.match(name):
            errors.append({"field": where, "message": "unknown field"})
        elif str(record_id) not in ids:
            errors.append({"field": where, "message": "not one of the records being merged"})
    if errors:
        raise InvalidChoice(errors)


def _scalar(out: Outcome, name: str, records: list[Record], choices: dict[str, str]) -> None:
    if name in choices:
        chosen = next(r for r in records if str(r["id"]) == str(choices[name]))
        value = chosen.get(name)
        out.values[name] = None if is_empty(value) else value
        out.sources[name] = {"rule": "chosen", "from": [str(chosen["id"])]}
        return
    for i, record in enumerate(records):
        value = record.get(name)
        if not is_empty(value):
            out.values[name] = value
            out.sources[name] = {
                "rule": "primary" if i == 0 else "filled",
                "from": [str(record["id"])],
            }
            return
    out.values[name] = None
    out.sources[name] = {"rule": "empty", "from": []}


def _united(
    out: Outcome, name: str, records: list[Record], key: Callable[[dict[str, Any]], Any]
) -> None:
    """Every record's items once; the primary's own primary item stays first and primary."""
    items: list[dict[str, Any]] = []
    seen: set[Any] = set()
    contributors: list[str] = []
    for record in records:
        own = sorted(record.get(name) or [], key=lambda i: not i.get("primary"))
        added = False
        for item in own:
            k = key(item)
            if k in seen:
                continue
            seen.add(k)
            items.append({**item, "primary": False})
            added = True
        if added:
            contributors.append(str(record["id"]))
    if items:
        items[0]["primary"] = True
    out.values[name] = items
    out.sources[name] = {"rule": "union", "from": contributors}


def _tags(out: Outcome, records: list[Record]) -> None:
    tags: list[str] = []
    contributors = []
    for record in records:
        new = [t for t in record.get("tags") or [] if t not in tags]
        tags += new
        if new:
            contributors.append(str(record["id"]))
    out.values["tags"] = tags
    out.sources["tags"] = {"rule": "union", "from": contributors}


def _custom(out: Outcome, records: list[Record], choices: dict[str, str]) -> None:
    keys: list[str] = []
    for record in records:
        keys += [k for k in record.get("custom") or {} if k not in keys]
    keys += [c.removeprefix("custom.") for c in choices if c.startswith("custom.")]
    custom: dict[str, Any] = {}
    for key in dict.fromkeys(keys):
        scratch = Outcome()
        flat = [{"id": r["id"], key: (r.get("custom") or {}).get(key)} for r in records]
        chosen = {key: choices[f"custom.{key}"]} if f"custom.{key}" in choices else {}
        _scalar(scratch, key, flat, chosen)
        if scratch.values[key] is not None:
            custom[key] = scratch.values[key]
        out.sources[f"custom.{key}"] = scratch.sources[key]
    out.values["custom"] = custom


def _phone_key(item: dict[str, Any]) -> str:
    return item.get("e164") or "".join(c for c in str(item.get("number", "")) if c.isdigit())


def _address_key(item: dict[str, Any]) -> tuple[str, ...]:
    parts = ("street", "city", "region", "postal_code", "country")
    return tuple(" ".join(str(item.get(p) or "").split()).casefold() for p in parts)
