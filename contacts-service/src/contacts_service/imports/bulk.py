"""The SQL of the batch path: tenant-scoped look-ups, and multi-row writes.

Look-ups go through SQLAlchemy Core (one statement each per batch). Writes use the
asyncpg connection under the request's session, so they share its transaction: new
contacts and their links are each one binary ``COPY`` (their outbox rows too, through the
chassis' ``copy_events``), and updates are one ``UPDATE ... FROM jsonb_to_recordset(...)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

import asyncpg
import orjson
from crm_chassis.outbox import json_default
from sqlalchemy import Row, Text, bindparam, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from contacts_service.accounts.models import Account
from contacts_service.contacts.models import Contact
from contacts_service.links.models import ContactAccount

CONTACTS = Contact.__table__
CONTACTS_TABLE = "contacts"
META_COLUMNS = ("id", "tenant_id", "version", "created_at", "updated_at")
JSONB_COLUMNS = frozenset(c.name for c in CONTACTS.columns if isinstance(c.type, postgresql.JSONB))
_DIALECT = postgresql.dialect()


# Look-ups by many keys probe an index once per key (LATERAL ... LIMIT 1): with 1,000 keys
# an IN list or an array overlap is planned as a scan of the tenant's rows filtered by the
# whole list, which costs seconds once a tenant has 100k contacts.
_BY_EXTERNAL_ID = text(
    "SELECT k.key, c.id FROM unnest(:keys) AS k(key) CROSS JOIN LATERAL ("
    " SELECT id FROM contacts c WHERE c.tenant_id = :tenant AND c.external_id = k.key"
    " AND c.external_id IS NOT NULL LIMIT 1) AS c"
).bindparams(bindparam("keys", type_=ARRAY(Text)))
_BY_PRIMARY_EMAIL = text(
    "SELECT k.key, c.id FROM unnest(:keys) AS k(key) CROSS JOIN LATERAL ("
    " SELECT id FROM contacts c WHERE c.tenant_id = :tenant AND c.email = k.key"
    " ORDER BY c.id LIMIT 1) AS c"
).bindparams(bindparam("keys", type_=ARRAY(Text)))
# Secondary addresses: one hash join of the tenant's addresses with the keys (the GIN index
# on email_keys is slow to probe while a bulk load fills its pending list).
_BY_ANY_EMAIL = text(
    "SELECT DISTINCT ON (k.key) k.key, c.id FROM unnest(:keys) AS k(key)"
    " JOIN (SELECT id, unnest(email_keys) AS key FROM contacts WHERE tenant_id = :tenant) AS c"
    " USING (key) ORDER BY k.key, c.id"
).bindparams(bindparam("keys", type_=ARRAY(Text)))


async def _ids(
    session: AsyncSession, stmt: Any, tenant_id: UUID, keys: list[str]
) -> dict[str, UUID]:
    if not keys:
        return {}
    rows = await session.execute(stmt, {"keys": keys, "tenant": tenant_id})
    return {r.key: r.id for r in rows}


async def _rows(
    session: AsyncSession, tenant_id: UUID, by_key: dict[str, UUID], *, lock: bool
) -> dict[str, Row[Any]]:
    """key -> the contact row with the id found for it, locked (in id order, so concurrent
    batches cannot deadlock) when it will be updated."""
    if not by_key:
        return {}
    stmt = (
        select(CONTACTS)
        .where(CONTACTS.c.tenant_id == tenant_id, CONTACTS.c.id.in_(set(by_key.values())))
        .order_by(CONTACTS.c.id)
    )
    if lock:
        stmt = stmt.with_for_update()
    found = {r.id: r for r in await session.execute(stmt)}
    return {k: found[i] for k, i in by_key.items() if i in found}


async def contacts_by_email(
    session: AsyncSession, tenant_id: UUID, emails: Sequence[str], *, lock: bool
) -> dict[str, Row[Any]]:
    """email -> the tenant's contact having it: the oldest whose primary address it is,
    else the oldest having it at all."""
    by_key = await _ids(session, _BY_PRIMARY_EMAIL, tenant_id, list(emails))
    rest = [e for e in emails if e not in by_key]
    by_key |= await _ids(session, _BY_ANY_EMAIL, tenant_id, rest)
    return await _rows(session, tenant_id, by_key, lock=lock)


async def contacts_by_external_id(
    session: AsyncSession, tenant_id: UUID, external_ids: Sequence[str], *, lock: bool
) -> dict[str, Row[Any]]:
    by_key = await _ids(session, _BY_EXTERNAL_ID, tenant_id, list(external_ids))
    return await _rows(session, tenant_id, by_key, lock=lock)


async def external_id_owners(
    session: AsyncSession, tenant_id: UUID, external_ids: Iterable[str]
) -> dict[str, UUID]:
    """external_id -> id of the tenant's contact holding it."""
    return await _ids(session, _BY_EXTERNAL_ID, tenant_id, list(external_ids))


async def account_names(
    session: AsyncSession, tenant_id: UUID, account_ids: Iterable[UUID]
) -> dict[UUID, str]:
    """id -> name of those of ``account_ids`` that are the tenant's accounts."""
    wanted = list(account_ids)
    if not wanted:
        return {}
    stmt = select(Account.id, Account.name).where(
        Account.tenant_id == tenant_id, Account.id.in_(wanted)
    )
    return {r.id: r.name for r in await session.execute(stmt)}


class RecordBuilder:
    """COPY records of contacts: ``meta`` (id, tenant, version, times) then the derived
    columns by ``names``. JSONB travels as JSON text: the codec SQLAlchemy installs on its
    connections takes text."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        self.json_positions = [i for i, n in enumerate(self.names) if n in JSONB_COLUMNS]

    def __call__(self, meta: tuple[Any, ...], columns: dict[str, Any]) -> tuple[Any, ...]:
        values = [columns[n] for n in self.names]
        for i in self.json_positions:
            values[i] = orjson.dumps(values[i], default=json_default).decode()
        return (*meta, *values)


async def copy_contacts(
    conn: asyncpg.Connection, names: Sequence[str], records: list[tuple[Any, ...]]
) -> None:
    await conn.copy_records_to_table(
        CONTACTS_TABLE, records=records, columns=[*META_COLUMNS, *names]
    )


async def copy_links(conn: asyncpg.Connection, records: list[tuple[Any, ...]]) -> None:
    """Primary links (contact, account, tenant) of new contacts."""
    if records:
        await conn.copy_records_to_table(
            ContactAccount.__tablename__,
            records=[(*r, True) for r in records],
            columns=["contact_id", "account_id", "tenant_id", "is_primary"],
        )


def _pg_type(name: str) -> str:
    return str(CONTACTS.c[name].type.compile(dialect=_DIALECT))


async def update_contacts(
    conn: asyncpg.Connection, tenant_id: UUID, names: Sequence[str], rows: list[dict[str, Any]]
) -> int:
    """Overwrite ``names`` (plus version, updated_at) of each row's contact by id."""
    if not rows:
        return 0
    settable = [*names, "version", "updated_at"]
    shape = ", ".join(f'"{n}" {_pg_type(n)}' for n in ["id", *settable])
    assignments = ", ".join(f'"{n}" = t."{n}"' for n in settable)
    sql = (
        f"UPDATE {CONTACTS_TABLE} AS c SET {assignments} "
        f"FROM jsonb_to_recordset($2::jsonb) AS t({shape}) "
        "WHERE c.tenant_id = $1 AND c.id = t.id"
    )
    data = orjson.dumps(rows, default=json_default, option=orjson.OPT_UTC_Z).decode()
    status = await conn.execute(sql, tenant_id, data)
    return int(status.split()[-1])
