"""Timeline use cases (C8): turn an event into a line, list a record's lines.

Lines are written only by the ``contacts-timeline`` consumer (see ``consumers.py``),
inside its inbox transaction; every write is also idempotent by itself (unique event id,
or ref + sequence), as handlers must be.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from crm_chassis.consumer import Batched
from crm_chassis.ids import new_id
from crm_chassis.pagination import PageParams, apply_keyset, page_of
from crm_proto import CloudEvent
from sqlalchemy import Uuid, and_, bindparam, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from contacts_service.links.models import ContactAccount
from contacts_service.timeline.models import TimelineEntry
from contacts_service.timeline.rules import RULES, Rule, lookup, render


def _uuid(value: Any) -> UUID | None:
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


def _time(value: Any, default: datetime) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return default
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return default


def _line(
    event: CloudEvent, rule: Rule, contact_id: UUID | None, account_id: UUID | None
) -> dict[str, Any]:
    """The columns of the line ``rule`` makes of ``event``, for the given record ids."""
    data = event.data
    return {
        "id": new_id(),
        "tenant_id": UUID(event.tenantid),
        "contact_id": contact_id,
        "account_id": account_id,
        "occurred_at": _time(lookup(data, rule.occurred_at), event.time),
        "kind": rule.kind.value,
        "source": event.source.rsplit("/", 1)[-1],
        "event_type": event.type,
        "event_id": UUID(event.id),
        "ref": render(rule.ref, data, limit=200),
        "sequence": event.sequence,
        "title": render(rule.title, data) or event.type,
        "summary": render(rule.summary, data, limit=2000),
        "data": data,
    }


def _records(event: CloudEvent, rule: Rule) -> tuple[UUID | None, UUID | None]:
    return _uuid(lookup(event.data, rule.contact)), _uuid(lookup(event.data, rule.account))


async def apply(session: AsyncSession, event: CloudEvent, rule: Rule) -> None:
    """Make, replace or remove the line ``rule`` says ``event`` stands for."""
    tenant_id = UUID(event.tenantid)
    if rule.mode == "remove":
        ref = render(rule.ref, event.data, limit=200)
        await session.execute(
            delete(TimelineEntry).where(
                TimelineEntry.tenant_id == tenant_id, TimelineEntry.ref == ref
            )
        )
        return
    contact_id, account_id = _records(event, rule)
    if contact_id is None and account_id is None:
        return  # about nobody this service knows: no timeline shows it
    if contact_id is not None:
        contact_id = await _current_contact(session, tenant_id, contact_id)
        if contact_id is None:
            return  # an event still in flight when the person's data was erased (C10)
    values = _line(event, rule, contact_id, account_id)
    stmt = insert(TimelineEntry).values(**values)
    if rule.mode == "upsert":
        replaced = {k: stmt.excluded[k] for k in values if k not in ("id", "tenant_id", "ref")}
        stmt = stmt.on_conflict_do_update(
            index_elements=["tenant_id", "ref"],
            index_where=TimelineEntry.ref.is_not(None),
            set_=replaced,
            # an older version arriving late never overwrites a newer one
            where=func.coalesce(TimelineEntry.sequence, -1)
            < func.coalesce(stmt.excluded.sequence, 0),
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=["tenant_id", "event_id"])
    await session.execute(stmt)


_ADD = insert(TimelineEntry).on_conflict_do_nothing(index_elements=["tenant_id", "event_id"])


async def apply_many(session: AsyncSession, events: Sequence[CloudEvent]) -> None:
    """The lines of many events, in order, as :func:`apply` makes them one by one.

    ``add`` lines (nearly all: a record created, a deal moved, an email opened) are
    written together: their contacts are resolved in one query and the lines inserted in
    one statement. An ``upsert`` or ``remove`` goes through :func:`apply` in its place in
    the sequence, after the lines before it.
    """
    adds: list[tuple[CloudEvent, Rule]] = []
    for event in events:
        rule = RULES[event.type]
        if rule.mode == "add":
            adds.append((event, rule))
            continue
        await _add_lines(session, adds)
        adds = []
        await apply(session, event, rule)
    await _add_lines(session, adds)


async def _add_lines(session: AsyncSession, adds: list[tuple[CloudEvent, Rule]]) -> None:
    about: list[tuple[CloudEvent, Rule, UUID | None, UUID | None]] = []
    for event, rule in adds:
        contact_id, account_id = _records(event, rule)
        if contact_id is not None or account_id is not None:
            about.append((event, rule, contact_id, account_id))
    current = await _current_contacts(
        session, {(UUID(e.tenantid), c) for e, _, c, _ in about if c is not None}
    )
    lines = []
    for event, rule, contact_id, account_id in about:
        if contact_id is not None:
            contact_id = current[(UUID(event.tenantid), contact_id)]
            if contact_id is None:
                continue  # erased while the event was in flight (C10)
        lines.append(_line(event, rule, contact_id, account_id))
    if lines:
        await session.execute(_ADD, lines)


async def _current_contacts(
    session: AsyncSession, wanted: set[tuple[UUID, UUID]]
) -> dict[tuple[UUID, UUID], UUID | None]:
    """:func:`_current_contact` of many (tenant, contact) pairs: the contacts found are
    locked in one query (in id order, as the batch writes lock them); the rest (merged
    away, or not known here yet) are followed one by one."""
    from contacts_service.contacts.models import Contact

    if not wanted:
        return {}
    tenants, ids = zip(*wanted, strict=True)
    pairs = select(
        func.unnest(bindparam("tenants", type_=ARRAY(Uuid))).label("tenant_id"),
        func.unnest(bindparam("ids", type_=ARRAY(Uuid))).label("id"),
    ).subquery()
    found = await session.execute(
        select(Contact.tenant_id, Contact.id, Contact.erased_at)
        .join(pairs, and_(Contact.tenant_id == pairs.c.tenant_id, Contact.id == pairs.c.id))
        .order_by(Contact.id)
        .with_for_update(read=True, of=Contact),
        {"tenants": list(tenants), "ids": list(ids)},
    )
    out: dict[tuple[UUID, UUID], UUID | None] = {
        (r.tenant_id, r.id): (None if r.erased_at is not None else r.id) for r in found
    }
    for tenant_id, contact_id in sorted(wanted - out.keys()):
        out[(tenant_id, contact_id)] = await _current_contact(session, tenant_id, contact_id)
    return out


async def _current_contact(
    session: AsyncSession, tenant_id: UUID, contact_id: UUID, depth: int = 0
) -> UUID | None:
    """Where the contact's lines belong now: itself; the survivor it was merged into
    (events still in flight at merge time name the old id); None once erased."""
    from contacts_service.contacts.models import Contact
    from contacts_service.merge.models import Merge

    # FOR SHARE: an erasure holds the row FOR UPDATE until it commits, so a line is
    # either written before it (and deleted by it) or sees the contact erased.
    found = await session.execute(
        select(Contact.erased_at)
        .where(Contact.tenant_id == tenant_id, Contact.id == contact_id)
        .with_for_update(read=True)
    )
    row = found.first()
    if row is not None:
        return None if row.erased_at is not None else contact_id
    survivor = await session.scalar(
        select(Merge.primary_id)
        .where(Merge.tenant_id == tenant_id, Merge.merged_ids.contains([contact_id]))
        .order_by(Merge.created_at.desc())
        .limit(1)
    )
    if survivor is None or depth > 10:
        return contact_id  # not (yet) known here: keep the line under the id it names
    return await _current_contact(session, tenant_id, survivor, depth + 1)


HANDLER = Batched(apply_many)
"""The consumer handler of every event type in ``RULES``: a batch's runs of them at once."""


async def forget_record(
    *, session: AsyncSession, tenant_id: UUID, kind: str, record_id: UUID
) -> None:
    """A contact or account was deleted: lines only about it go, shared lines stay with
    the other record."""
    mine = TimelineEntry.contact_id if kind == "contact" else TimelineEntry.account_id
    other = TimelineEntry.account_id if kind == "contact" else TimelineEntry.contact_id
    scope = (TimelineEntry.tenant_id == tenant_id, mine == record_id)
    await session.execute(delete(TimelineEntry).where(*scope, other.is_(None)))
    await session.execute(update(TimelineEntry).where(*scope).values({mine: None}))


@dataclass(frozen=True)
class TimelineFilters:
    kinds: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None


async def page(
    *,
    session: AsyncSession,
    tenant_id: UUID,
    params: PageParams,
    filters: TimelineFilters,
    contact_id: UUID | None = None,
    account_id: UUID | None = None,
    include_contacts: bool = True,
) -> tuple[list[TimelineEntry], str | None]:
    """A contact's lines, or an account's (with its linked contacts' when asked)."""
    stmt = select(TimelineEntry).where(TimelineEntry.tenant_id == tenant_id)
    if contact_id is not None:
        stmt = stmt.where(TimelineEntry.contact_id == contact_id)
    else:
        linked = select(ContactAccount.contact_id).where(
            ContactAccount.tenant_id == tenant_id, ContactAccount.account_id == account_id
        )
        stmt = stmt.where(
            or_(TimelineEntry.account_id == account_id, TimelineEntry.contact_id.in_(linked))
            if include_contacts
            else TimelineEntry.account_id == account_id
        )
    if filters.kinds:
        stmt = stmt.where(TimelineEntry.kind.in_(filters.kinds))
    if filters.since:
        stmt = stmt.where(TimelineEntry.occurred_at >= filters.since)
    if filters.until:
        stmt = stmt.where(TimelineEntry.occurred_at < filters.until)
    stmt, sort = apply_keyset(
        stmt,
        params,
        sortable={"occurred_at": TimelineEntry.occurred_at},
        id_column=TimelineEntry.id,
        default="-occurred_at",
    )
    rows = list((await session.execute(stmt)).scalars())
    return page_of(rows, params, sort, lambda e: (e.occurred_at, e.id))
