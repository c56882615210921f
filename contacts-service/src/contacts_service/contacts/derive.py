"""A contact's stored columns, derived from its write model.

The denormalised columns (primary ``email``/``phone``, the lookup keys, ``search_text``)
are computed here and only here, for every write path: create, patch, batch, import,
merge.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import TypeAdapter

from contacts_service.common.names import name_keys
from contacts_service.common.phones import lookup_keys, to_e164
from contacts_service.common.schemas import Address, EmailItem
from contacts_service.contacts.schemas import ContactWrite

# Columns copied as they are from the write model (JSON form).
PLAIN = (
    "first_name",
    "last_name",
    "title",
    "company",
    "account_id",
    "owner_id",
    "team_id",
    "lifecycle_stage",
    "do_not_contact",
    "membership_level",
    "member_since",
    "tags",
    "external_id",
)


# Batch imports derive thousands of rows a second: the list dumps are one call per list,
# and each distinct number is parsed by phonenumbers (slow) once per process.
_EMAILS = TypeAdapter(list[EmailItem])
_ADDRESSES = TypeAdapter(list[Address])


@lru_cache(maxsize=65536)
def _phone(number: str, region: str) -> tuple[str | None, tuple[str, ...]]:
    """(E.164 or None, lookup keys) of ``number``; the keys are ``lookup_keys``'."""
    e164 = to_e164(number, region)
    return e164, ((e164,) if e164 else tuple(lookup_keys(number, region)))


def columns(data: ContactWrite, *, phone_region: str, custom: dict[str, Any]) -> dict[str, Any]:
    """Every stored column of a contact written as ``data`` (custom values pre-checked)."""
    out: dict[str, Any] = {name: getattr(data, name) for name in PLAIN}
    out["lifecycle_stage"] = data.lifecycle_stage.value if data.lifecycle_stage else None
    phones: list[dict[str, Any]] = []
    phone_keys: set[str] = set()
    seen: set[str] = set()
    for item in data.phones:
        e164, keys = _phone(item.number, phone_region)
        key = e164 or item.number
        if key in seen:
            continue
        seen.add(key)
        phone_keys.update(keys)
        phones.append({**item.model_dump(mode="json"), "e164": e164})
    if phones and not any(p["primary"] for p in phones):
        phones[0]["primary"] = True
    out["emails"] = _EMAILS.dump_python(data.emails, mode="json") if data.emails else []
    out["phones"] = phones
    out["addresses"] = _ADDRESSES.dump_python(data.addresses, mode="json") if data.addresses else []
    out["email"] = data.emails[0].email if data.emails else None
    out["phone"] = (phones[0]["e164"] or phones[0]["number"]) if phones else None
    out["email_keys"] = [e.email for e in data.emails]
    out["phone_keys"] = sorted(phone_keys)
    out["name_keys"] = name_keys(data.first_name, data.last_name)
    out["consent"] = {
        ch.value: {p: s.value for p, s in purposes.items()} for ch, purposes in data.consent.items()
    }
    out["custom"] = custom
    out["search_text"] = search_text(out)
    return out


def search_text(row: dict[str, Any]) -> str:
    """The words full-text search matches: names, company, emails (whole, local part and
    domain) and phone numbers (E.164 and bare digits)."""
    words = [row.get("first_name"), row.get("last_name"), row.get("company")]
    for email in row.get("email_keys") or []:
        local, _, domain = email.partition("@")
        words += [email, local, domain]
    for key in row.get("phone_keys") or []:
        words += [key, key.lstrip("+")]
    return " ".join(w.lower() for w in words if w)
