"""Candidate generation: a bounded set of records that might duplicate given ones.

Never a scan of the tenant: each blocking key is one query that, per probe, walks an index
and stops at ``per_key`` rows (a LATERAL subquery with LIMIT): email, phone and phonetic
name keys on the GIN indexes (the name keys of ``common.names`` survive typos: "Kathrine
Jonson" meets "Katherine Johnson"), lower(last name) + first initial on the btree, whole
words of the name and email local parts on the full-text index, and (single lookups) the
same account. Scoring then happens in Python on that small set.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from contacts_service.accounts.models import Account
from contacts_service.contacts.models import Contact
from contacts_service.merge.scoring import (
    ROLE_LOCAL_PARTS,
    AccountFeatures,
    ContactFeatures,
    domain_of,
    org_key,
)

Pairs = set[tuple[UUID, UUID]]
_WORD = re.compile(r"[^\w]+")


def contact_features(c: Contact) -> ContactFeatures:
    return ContactFeatures(
        id=c.id,
        first_name=c.first_name,
        last_name=c.last_name,
        emails=tuple(c.email_keys or ()),
        phones=tuple(c.phone_keys or ()),
        company=c.company,
        account_id=c.account_id,
    )


def account_features(a: Account) -> AccountFeatures:
    return AccountFeatures(id=a.id, name=a.name, domain=a.domain, website=a.website, phone=a.phone)


def _words(value: str | None) -> list[str]:
    """Words as PostgreSQL's 'simple' parser sees them in ``search_text`` (lower case,
    accents kept)."""
    return [w for w in _WORD.sub(" ", (value or "").lower()).split() if w and w != "_"]


@dataclass(frozen=True)
class _Blocking:
    session: AsyncSession
    table: str
    tenant_id: UUID
    after: bool
    per_key: int

    async def pairs(
        self, condition: str, probes: list[tuple[UUID, str]], *, id_in_index: bool = False
    ) -> Pairs:
        """(probe id, candidate id) for every probe ``(id, value)``: rows matching
        ``condition`` on ``p.value``, at most ``per_key`` per probe.

        ``id > p.id`` is written so the planner cannot use it as an index condition
        (comparing the text forms orders the same), unless ``id_in_index`` says the
        condition's own btree index ends with id: AND-ing a GIN bitmap with the primary
        key's range reads half the table per probe."""
        if not probes:
            return set()
        greater = "x.id > p.id" if id_in_index else "CAST(x.id AS text) > CAST(p.id AS text)"
        order = greater if self.after else "x.id <> p.id"
        sql = (
            "SELECT p.id AS a, c.id AS b FROM unnest(CAST(:ids AS uuid[]), "
            "CAST(:vals AS text[])) AS p(id, value) CROSS JOIN LATERAL ("
            f"SELECT x.id FROM {self.table} x WHERE x.tenant_id = :tenant AND {order} "
            f"AND {condition} LIMIT :lim) c"
        )
        result = await self.session.execute(
            text(sql),
            {
                "ids": [p[0] for p in probes],
                "vals": [p[1] for p in probes],
                "tenant": self.tenant_id,
                "lim": self.per_key,
            },
        )
        return {(r.a, r.b) for r in result}


async def contact_pairs(
    session: AsyncSession,
    tenant_id: UUID,
    probes: Iterable[Contact],
    *,
    after: bool,
    per_key: int,
    same_account: bool,
) -> Pairs:
    """Pairs (probe, candidate); with ``after`` only candidates of greater id, so a
    tenant scan meets each pair once."""
    emails, phones, names, sounds, words, accounts = [], [], [], [], [], []
    for c in probes:
        emails += [(c.id, e) for e in c.email_keys or ()]
        phones += [(c.id, p) for p in c.phone_keys or ()]
        sounds += [(c.id, k) for k in c.name_keys or ()]
        last, first = _words(c.last_name), _words(c.first_name)
        if c.last_name:
            initial = (c.first_name or "").strip()[:1].lower()
            names.append((c.id, f"{c.last_name.lower()}\x1f{initial}"))
        if first and last:
            # Whole words, in any field: finds swapped first/last names and middle names.
            # (No prefix queries: a short prefix matches half the tenant in a GIN index.)
            words.append((c.id, f"{_quoted(first[0])} & {_quoted(last[-1])}"))
        for email in c.email_keys or ():
            local = email.partition("@")[0]
            if len(local) >= 3 and local not in ROLE_LOCAL_PARTS:
                words.append((c.id, _quoted(local)))
        if same_account and c.account_id:
            accounts.append((c.id, str(c.account_id)))
    block = _Blocking(session, "contacts", tenant_id, after, per_key)
    pairs = await block.pairs("x.email_keys @> ARRAY[p.value]", emails)
    pairs |= await block.pairs("x.phone_keys @> ARRAY[p.value]", phones)
    pairs |= await block.pairs("x.name_keys @> ARRAY[p.value]", sounds)
    pairs |= await block.pairs(
        "lower(x.last_name) = split_part(p.value, chr(31), 1) AND "
        "(split_part(p.value, chr(31), 2) = '' OR "
        "lower(left(x.first_name, 1)) = split_part(p.value, chr(31), 2))",
        names,
        id_in_index=True,  # ix_contacts_tenant_last_name is (tenant_id, lower(last_name), id)
    )
    pairs |= await block.pairs("x.search_vector @@ to_tsquery('simple', p.value)", words)
    pairs |= await block.pairs("x.account_id = CAST(p.value AS uuid)", accounts)
    return pairs


async def account_pairs(
    session: AsyncSession,
    tenant_id: UUID,
    probes: Iterable[Account],
    *,
    after: bool,
    per_key: int,
) -> Pairs:
    domains, names, words = [], [], []
    for a in probes:
        features = account_features(a)
        domains += [(a.id, d) for d in domain_of(features)]
        names.append((a.id, a.name.lower()))
        significant = [w for w in _words(org_key(a.name)) if len(w) >= 3]
        if significant:
            words.append((a.id, _quoted(significant[0])))
        for domain in domain_of(features):
            label = domain.split(".")[0]
            if len(label) >= 3:
                words.append((a.id, _quoted(label)))
    block = _Blocking(session, "accounts", tenant_id, after, per_key)
    pairs = await block.pairs("x.domain = p.value", domains)
    pairs |= await block.pairs("lower(x.name) = p.value", names)
    pairs |= await block.pairs("x.search_vector @@ to_tsquery('simple', p.value)", words)
    return pairs


def _quoted(word: str) -> str:
    """A tsquery lexeme: quoted, so dots, dashes and operators are taken literally."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"
