"""Timeline use cases (C8): turn an event into a line, list a record's lines.

Lines are written only by the ``contacts-timeline`` consumer (see ``consumers.py``),
inside its inbox transaction; every write is also idempotent by itself (unique event id,
or ref + sequence), as handlers must be.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from crm_chassis.consumer import Handler
from crm_chassis.pagination import PageParams, apply_keyset, page_of
from crm_proto import CloudEvent
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contacts_service.links.models import ContactAccount
from contacts_service.timeline.models import TimelineEntry
from contacts_service.timeline.rules import Rule, lookup, render


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


async def apply(session: AsyncSession, event: CloudEvent, rule: Rule) -> None:
    """Make, replace or remove the line ``rule`` says ``event`` stands for."""
    tenant_id = UUID(event.tenantid)
    data = event.data
    ref = render(rule.ref, data, limit=200)
    if rule.mode == "remove":
        await session.execute(
            delete(TimelineEntry).where(
                TimelineEntry.tenant_id == tenant_id, TimelineEntry.ref == ref
            )
        )
        return
    contact_id = _uuid(lookup(data, rule.contact))
    account_id = _uuid(lookup(data, rule.account))
    if contact_id is None and account_id is None:
        return  # about nobody this service knows: no timeline shows it
    if contact_id is not None:
        contact_id = await _current_contact(session, tenant_id, contact_id)
        if contact_id is None:
            return  # an event still in flight when the person's data was erased (C10)
    values = {
        "tenant_id": tenant_id,
        "contact_id": contact_id,
        "account_id": account_id,
        "occurred_at": _time(lookup(data, rule.occurred_at), event.time),
        "kind": rule.kind.value,
        "source": event.source.rsplit("/", 1)[-1],
        "event_type": event.type,
        "event_id": UUID(event.id),
        "ref": ref,
        "sequence": event.sequence,
        "title": render(rule.title, data) or event.type,
        "summary": render(rule.summary, data, limit=2000),
        "data": data,
    }
    stmt = insert(TimelineEntry).values(**values)
    if rule.mode == "upsert":
        replaced = {k: stmt.excluded[k] for k in values if k not in ("tenant_id", "ref")}
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


def handler(rule: Rule) -> Handler:
    """The consumer handler of one event type."""

    async def handle(session: AsyncSession, event: CloudEvent) -> None:
        await apply(session, event, rule)

    return handle


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
