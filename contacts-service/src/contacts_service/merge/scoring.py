"""How alike two contacts, or two accounts, are: a score in 0-1 and the reasons for it.

Each piece of evidence (a shared email, the same phone, similar names, the same company)
is a probability that the two records are one; they combine as independent evidence
(``1 - prod(1 - p)``), so more evidence never lowers a score and none reaches 1 alone.
Company and account only count in proportion to how alike the names are: coworkers share
a company, not an identity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler

from contacts_service.common.names import digits, fold

EMAIL_EXACT = 0.9
PHONE_EXACT = 0.8
EMAIL_LOCAL_PART = 0.3
NAME_MAX = 0.6
NAME_START = 0.8
NAME_SAME = 0.92
"""Names from ``NAME_SAME`` on weigh as much as identical ones: one typo ('Kathrine
Jonson') is still the same name. Below ``NAME_START`` a name is no evidence at all."""
COMPANY_MAX = 0.5
ACCOUNT_DOMAIN = 0.9
ACCOUNT_DOMAIN_LABEL = 0.3
ACCOUNT_NAME_MAX = 0.75
ACCOUNT_PHONE = 0.6

# Shared mailboxes say nothing about who reads them.
ROLE_LOCAL_PARTS = frozenset(
    "info sales admin contact hello support office mail team billing noreply no-reply help "  # noqa: SIM905
    "enquiries inquiries hr jobs careers marketing service webmaster accounts invoices".split()
)
LEGAL_SUFFIXES = frozenset(
    "inc incorporated llc llp ltd limited gmbh ag sa sas sarl bv nv plc corp corporation co "  # noqa: SIM905
    "company srl spa oy ab pty kg the group holding holdings".split()
)


@dataclass(frozen=True)
class Reason:
    field: str
    match: str
    detail: str | None = None
    weight: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "match": self.match,
            "detail": self.detail,
            "weight": self.weight,
        }


@dataclass(frozen=True)
class Match:
    score: float
    reasons: list[Reason] = field(default_factory=list)


@dataclass(frozen=True)
class ContactFeatures:
    id: UUID
    first_name: str | None
    last_name: str | None
    emails: tuple[str, ...]
    phones: tuple[str, ...]
    """Lookup keys: E.164 where the number parses, bare digits otherwise."""
    company: str | None
    account_id: UUID | None


@dataclass(frozen=True)
class AccountFeatures:
    id: UUID
    name: str
    domain: str | None
    website: str | None
    phone: str | None


def name_similarity(
    first_a: str | None, last_a: str | None, first_b: str | None, last_b: str | None
) -> float:
    """0-1: how alike two people's names are, typos allowed.

    With both names on both sides, each field is compared by Jaro-Winkler (one typo in a
    7-9 letter name rates about 0.93-0.96) and the two fields combine as a geometric mean,
    so a very different first or last name sinks the whole ('Katherine Johnson' vs
    'Robert Johnson': 0.71) where a mean would not; first and last may be swapped. An
    initial matches the name it abbreviates. Otherwise (one field filled in on a side)
    the full names are compared regardless of word order."""
    fa, la, fb, lb = fold(first_a), fold(last_a), fold(first_b), fold(last_b)
    full_a, full_b = f"{fa} {la}".strip(), f"{fb} {lb}".strip()
    if not full_a or not full_b:
        return 0.0
    if fa and la and fb and lb:
        straight = _first_name_similarity(fa, fb) * _similarity(la, lb)
        swapped = _similarity(fa, lb) * _similarity(la, fb)
        return round(math.sqrt(max(straight, swapped)), 6)
    return round(fuzz.token_sort_ratio(full_a, full_b) / 100, 6)


def _similarity(a: str, b: str) -> float:
    """Jaro-Winkler of two folded names; different digits make different names."""
    if digits(a) != digits(b):
        return 0.0
    return float(JaroWinkler.similarity(a, b))


def _first_name_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    short, long_ = sorted((a, b), key=len)
    if len(short) == 1:
        return 0.9 if long_.startswith(short) else 0.0
    return _similarity(a, b)


def _ramp(value: float, start: float, full: float = 1.0) -> float:
    """0 at ``start``, 1 from ``full``, linear in between."""
    return min(1.0, max(0.0, (value - start) / (full - start)))


def _combine(reasons: list[Reason]) -> Match:
    miss = math.prod(1.0 - r.weight for r in reasons)
    return Match(score=round(1.0 - miss, 4), reasons=reasons)


def score_contacts(a: ContactFeatures, b: ContactFeatures) -> Match:
    reasons: list[Reason] = []
    emails_a, emails_b = {e.lower() for e in a.emails}, {e.lower() for e in b.emails}
    shared = sorted(emails_a & emails_b)
    if shared:
        reasons.append(Reason("email", "exact", shared[0], EMAIL_EXACT))
    else:
        local = sorted(_locals(emails_a) & _locals(emails_b))
        if local:
            reasons.append(Reason("email", "local_part", local[0], EMAIL_LOCAL_PART))
    phones = sorted(set(a.phones) & set(b.phones))
    if phones:
        kind = "e164" if phones[0].startswith("+") else "digits"
        reasons.append(Reason("phone", kind, phones[0], PHONE_EXACT))
    similarity = name_similarity(a.first_name, a.last_name, b.first_name, b.last_name)
    if _ramp(similarity, NAME_START, NAME_SAME) > 0:
        match = "exact" if similarity == 1.0 else "fuzzy"
        weight = round(NAME_MAX * _ramp(similarity, NAME_START, NAME_SAME), 4)
        reasons.append(Reason("name", match, f"{similarity:.2f}", weight))
    alike = _ramp(similarity, 0.5)
    if alike > 0:
        if a.account_id is not None and a.account_id == b.account_id:
            reasons.append(
                Reason("account", "same", str(a.account_id), round(COMPANY_MAX * alike, 4))
            )
        elif a.company and b.company:
            company = fuzz.token_sort_ratio(_org(a.company), _org(b.company)) / 100
            if company >= 0.9:
                weight = round(COMPANY_MAX * alike * company, 4)
                reasons.append(Reason("company", "fuzzy", f"{company:.2f}", weight))
    return _combine(reasons)


def _locals(emails: set[str]) -> set[str]:
    out = set()
    for email in emails:
        local = email.partition("@")[0].split("+")[0]
        if len(local) >= 3 and local not in ROLE_LOCAL_PARTS:
            out.add(local)
    return out


def _org(name: str) -> str:
    """An organisation's name without legal suffixes ('ACME Inc.' -> 'acme')."""
    words = fold(name).split()
    kept = [w for w in words if w not in LEGAL_SUFFIXES]
    return " ".join(kept or words)


def org_key(name: str) -> str:
    return _org(name)


def domain_of(account: AccountFeatures) -> set[str]:
    """The account's domain and its website's host, without ``www.``."""
    out = set()
    if account.domain:
        out.add(account.domain.lower().removeprefix("www."))
    if account.website:
        host = (urlsplit(account.website).hostname or "").lower().removeprefix("www.")
        if host:
            out.add(host)
    return out


def score_accounts(a: AccountFeatures, b: AccountFeatures) -> Match:
    reasons: list[Reason] = []
    domains_a, domains_b = domain_of(a), domain_of(b)
    shared = sorted(domains_a & domains_b)
    if shared:
        reasons.append(Reason("domain", "exact", shared[0], ACCOUNT_DOMAIN))
    else:
        labels = sorted({d.split(".")[0] for d in domains_a} & {d.split(".")[0] for d in domains_b})
        if labels:
            reasons.append(Reason("domain", "label", labels[0], ACCOUNT_DOMAIN_LABEL))
    similarity = fuzz.token_sort_ratio(_org(a.name), _org(b.name)) / 100 if a.name and b.name else 0
    if _ramp(similarity, 0.6) > 0:
        match = "exact" if similarity == 1.0 else "fuzzy"
        weight = round(ACCOUNT_NAME_MAX * _ramp(similarity, 0.6), 4)
        reasons.append(Reason("name", match, f"{similarity:.2f}", weight))
    if a.phone and a.phone == b.phone:
        reasons.append(Reason("phone", "exact", a.phone, ACCOUNT_PHONE))
    return _combine(reasons)
