"""Contacts export (C7): the tenant's contacts read in keyset batches by id, as CSV rows or
JSON documents. Only one batch is in memory at a time, however large the table, and it
holds plain rows of the shown columns, not entities: 1,000 ORM contacts (with the derived
keys and the search text no export shows) took 10 MiB and twice the time, which
concurrent exports added to the process's memory for good."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable
from typing import Any
from uuid import UUID

import orjson
from crm_chassis.auth import Actor
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contacts_service.contacts.models import Contact
from contacts_service.contacts.repository import ContactFilters, ContactRepository
from contacts_service.contacts.schemas import ContactRead
from contacts_service.contacts.view import CONTACT
from contacts_service.custom_fields.rules import FieldDef, FieldType
from contacts_service.imports.mapping import ADDRESS_PARTS, LIST_SEPARATOR

BATCH = 1000
ADDRESS_COLUMNS = [
    f"address.{p}" for p in ("label", "street", "city", "region", "postal_code", "country")
]
assert {c.split(".")[1] for c in ADDRESS_COLUMNS} == ADDRESS_PARTS
# Named as the import's mapping targets, so an exported file imports back as it is.
BASE_COLUMNS = [
    "id",
    "first_name",
    "last_name",
    "title",
    "company",
    "email",
    "emails",
    "phone",
    "phones",
    *ADDRESS_COLUMNS,
    "account_id",
    "owner_id",
    "lifecycle_stage",
    "do_not_contact",
    "membership_level",
    "member_since",
    "tags",
    "external_id",
]
TRAILING_COLUMNS = ["version", "created_at", "updated_at"]
SHOWN = [getattr(Contact, name) for name in ContactRead.model_fields]
"""The columns an export reads: every field of a contact as the API shows it."""


async def batches(
    sessions: async_sessionmaker[AsyncSession], actor: Actor, filters: ContactFilters
) -> AsyncIterator[list[Row[Any]]]:
    """The matching contacts (rows of :data:`SHOWN`), oldest first, ``BATCH`` at a time;
    each read is its own short transaction, and the id keyset keeps the walk exact while
    rows come and go."""
    last: UUID | None = None
    while True:
        async with sessions() as session:
            stmt = ContactRepository(session, actor).filtered(filters, *SHOWN)
            stmt = stmt.order_by(Contact.id).limit(BATCH)
            if last is not None:
                stmt = stmt.where(Contact.id > last)
            rows = list((await session.execute(stmt)).all())
        if not rows:
            return
        yield rows
        last = rows[-1].id


def csv_header(defs: Iterable[FieldDef]) -> list[str]:
    return [*BASE_COLUMNS, *(f"custom.{d.key}" for d in defs), *TRAILING_COLUMNS]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _custom_text(field: FieldDef, value: Any) -> str:
    if value is None:
        return ""
    if field.type is FieldType.MULTI_ENUM:
        return LIST_SEPARATOR.join(value)
    if field.type is FieldType.MONEY:
        return f"{value['amount']} {value['currency']}"
    return _text(value)


def csv_row(c: Row[Any], defs: list[FieldDef]) -> list[str]:
    address = next((a for a in c.addresses if a.get("primary")), None) or {}
    return [
        str(c.id),
        _text(c.first_name),
        _text(c.last_name),
        _text(c.title),
        _text(c.company),
        _text(c.email),
        LIST_SEPARATOR.join(e["email"] for e in c.emails),
        # The primary number as entered, so an import matches it to the list's entry.
        c.phones[0]["number"] if c.phones else "",
        LIST_SEPARATOR.join(p["number"] for p in c.phones),
        *(_text(address.get(col.split(".")[1])) for col in ADDRESS_COLUMNS),
        _text(c.account_id),
        _text(c.owner_id),
        _text(c.lifecycle_stage),
        _text(c.do_not_contact),
        _text(c.membership_level),
        _text(c.member_since),
        LIST_SEPARATOR.join(c.tags),
        _text(c.external_id),
        *(_custom_text(d, c.custom.get(d.key)) for d in defs),
        str(c.version),
        c.created_at.isoformat(),
        c.updated_at.isoformat(),
    ]


def csv_chunk(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode()


async def as_csv(
    sessions: async_sessionmaker[AsyncSession],
    actor: Actor,
    filters: ContactFilters,
    defs: list[FieldDef],
) -> AsyncIterator[bytes]:
    header = csv_header(defs)
    keep = [i for i, column in enumerate(header) if CONTACT.shows(actor, _field_of(column))]
    yield csv_chunk([[header[i] for i in keep]])
    async for rows in batches(sessions, actor, filters):
        yield csv_chunk([[row[i] for i in keep] for row in (csv_row(c, defs) for c in rows)])


def _field_of(column: str) -> str:
    """The resource field a CSV column shows (``address.city`` is of ``addresses``)."""
    return "addresses" if column.startswith("address.") else column


def _json(actor: Actor, c: Row[Any]) -> bytes:
    return orjson.dumps(CONTACT.dump(actor, c))


async def as_ndjson(
    sessions: async_sessionmaker[AsyncSession], actor: Actor, filters: ContactFilters
) -> AsyncIterator[bytes]:
    async for rows in batches(sessions, actor, filters):
        yield b"".join(_json(actor, c) + b"\n" for c in rows)


async def as_json_array(
    sessions: async_sessionmaker[AsyncSession], actor: Actor, filters: ContactFilters
) -> AsyncIterator[bytes]:
    first = True
    yield b"["
    async for rows in batches(sessions, actor, filters):
        for c in rows:
            yield (b"\n" if first else b",\n") + _json(actor, c)
            first = False
    yield b"\n]\n"
