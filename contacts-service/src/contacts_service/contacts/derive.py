"""A contact's stored columns, derived from its write model.

The denormalised columns (primary ``email``/``phone``, the lookup keys, ``search_text``)
are computed here and only here, for every write path: create, patch, batch, import,
merge.
"""

from __future__ import annotations

from typing import Any

from contacts_service.common.phones import lookup_keys, to_e164
from contacts_service.contacts.schemas import ContactWrite

# Columns copied as they are from the write model (JSON form).
PLAIN = (
    "first_name",
    "last_name",
    "title",
    "company",
    "account_id",
    "owner_id",
    "lifecycle_stage",
    "do_not_contact",
    "membership_level",
    "member_since",
    "tags",
    "external_id",
)


def columns(data: ContactWrite, *, phone_region: str, custom: dict[str, Any]) -> dict[str, Any]:
    """Every stored column of a contact written as ``data`` (custom values pre-checked)."""
    out: dict[str, Any] = {name: getattr(data, name) for name in PLAIN}
    out["lifecycle_stage"] = data.lifecycle_stage.value if data.lifecycle_stage else None
    phones: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in data.phones:
        e164 = to_e164(item.number, phone_region)
        key = e164 or item.number
        if key in seen:
            continue
        seen.add(key)
        phones.append({**item.model_dump(mode="json"), "e164": e164})
    if phones and not any(p["primary"] for p in phones):
        phones[0]["primary"] = True
    out["emails"] = [e.model_dump(mode="json") for e in data.emails]
    out["phones"] = phones
    out["addresses"] = [a.model_dump(mode="json") for a in data.addresses]
    out["email"] = data.emails[0].email if data.emails else None
    out["phone"] = (phones[0]["e164"] or phones[0]["number"]) if phones else None
    out["email_keys"] = [e.email for e in data.emails]
    out["phone_keys"] = sorted({k for p in phones for k in lookup_keys(p["number"], phone_region)})
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
