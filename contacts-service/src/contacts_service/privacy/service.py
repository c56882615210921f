"""Privacy (C10): everything held about a person, and its erasure.

Export walks the reference registry (every table pointing at a contact), so a table added
later is exported without changing this module. Erasure anonymises the contact row in
place (its id stays valid for every reference, here and in other services), deletes what
is about the person (notes, attachments and their content, timeline lines, duplicate
pairs), scrubs merge audit snapshots, and removes copies of the person's data that the
platform machinery keeps: stored idempotent responses. Then
``crm.contacts.contact.erased.v1`` tells every other service to do the same.

The event stream itself (JetStream) keeps published events until its retention ends;
that is documented in docs/adr/0003-privacy-erasure.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from crm_chassis.auth import SYSTEM_USER
from crm_chassis.errors import Conflict, NotFound
from crm_chassis.outbox import emit
from crm_chassis.tables import idempotency_keys
from crm_proto.events.contacts import ContactErased
from sqlalchemy import and_, delete, func, literal, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from contacts_service.attachments import service as attachments
from contacts_service.common.references import of_kind
from contacts_service.contacts.models import Contact
from contacts_service.contacts.repository import ContactRepository
from contacts_service.contacts.schemas import ContactRead
from contacts_service.events import events
from contacts_service.merge.models import DuplicatePair, Merge
from contacts_service.notes import events as note_events
from contacts_service.notes.models import Note
from contacts_service.timeline.models import TimelineEntry

# What an erased contact keeps: identity and bookkeeping, nothing about the person.
ANONYMOUS: dict[str, Any] = {
    "first_name": None,
    "last_name": None,
    "title": None,
    "company": None,
    "email": None,
    "phone": None,
    "emails": [],
    "phones": [],
    "addresses": [],
    "email_keys": [],
    "phone_keys": [],
    "name_keys": [],
    "consent": {},
    "do_not_contact": True,
    "membership_level": None,
    "member_since": None,
    "tags": [],
    "custom": {},
    "external_id": None,
    "search_text": "",
}


async def _contact(
    session: AsyncSession, tenant_id: UUID, contact_id: UUID, *, for_update: bool = False
) -> Contact:
    contact = await ContactRepository(session, tenant_id).get(contact_id, for_update=for_update)
    if contact is None:
        raise NotFound(f"No contact {contact_id}")
    return contact


async def personal_data(
    *, session: AsyncSession, tenant_id: UUID, contact_id: UUID
) -> dict[str, Any]:
    """Everything this service holds about the contact (a subject access request)."""
    contact = await _contact(session, tenant_id, contact_id)
    held: dict[str, list[dict[str, Any]]] = {}
    for ref in of_kind("contact"):
        rows = await session.execute(
            text(
                f'SELECT * FROM "{ref.table}" WHERE "{ref.column}" = :id '
                "AND tenant_id = :tenant ORDER BY 1"
            ),
            {"id": contact_id, "tenant": tenant_id},
        )
        found = [_jsonable(dict(r._mapping)) for r in rows]
        if found:
            held.setdefault(ref.table, []).extend(found)
    merges = await session.execute(
        select(
            Merge.id,
            Merge.kind,
            Merge.primary_id,
            Merge.merged_ids,
            Merge.created_at,
            Merge.undone_at,
        )
        .where(
            Merge.tenant_id == tenant_id,
            or_(Merge.primary_id == contact_id, Merge.merged_ids.contains([contact_id])),
        )
        .order_by(Merge.created_at)
    )
    return {
        "contact": ContactRead.model_validate(contact).model_dump(mode="json"),
        "related": held,
        "merges": [_jsonable(dict(r._mapping)) for r in merges],
        "generated_at": datetime.now(UTC).isoformat(),
    }


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key in ("search_vector",):
            continue
        if isinstance(value, UUID | datetime):
            value = str(value) if isinstance(value, UUID) else value.isoformat()
        elif isinstance(value, list):
            value = [str(v) if isinstance(v, UUID) else v for v in value]
        out[key] = value
    return out


async def erase(*, session: AsyncSession, tenant_id: UUID, contact_id: UUID) -> Contact:
    """Erase the person's data held here; idempotent refusal (409) once done."""
    contact = await _contact(session, tenant_id, contact_id, for_update=True)
    if contact.erased_at is not None:
        raise Conflict(
            f"Contact {contact_id} was already erased at {contact.erased_at.isoformat()}"
        )
    erased_at = datetime.now(UTC)
    for key, value in ANONYMOUS.items():
        setattr(contact, key, value)
    contact.erased_at = erased_at
    await session.flush()

    for note in (
        await session.execute(
            select(Note)
            .where(Note.tenant_id == tenant_id, Note.contact_id == contact_id)
            .with_for_update()
        )
    ).scalars():
        await emit(session, note_events.deleted(note))
        await session.delete(note)
    await attachments.detach_record(
        session=session, tenant_id=tenant_id, kind="contact", record_id=contact_id
    )
    await session.execute(
        delete(TimelineEntry).where(
            TimelineEntry.tenant_id == tenant_id, TimelineEntry.contact_id == contact_id
        )
    )
    await session.execute(
        delete(DuplicatePair).where(
            DuplicatePair.tenant_id == tenant_id,
            or_(DuplicatePair.a_id == contact_id, DuplicatePair.b_id == contact_id),
        )
    )
    # A merge audit keeps full before-images; the person's go, and with them the undo.
    await session.execute(
        update(Merge)
        .where(
            Merge.tenant_id == tenant_id,
            or_(Merge.primary_id == contact_id, Merge.merged_ids.contains([contact_id])),
        )
        .values(
            before={},
            dropped=[],
            survivor_after={},
            fields={},
            undone_at=func.coalesce(Merge.undone_at, erased_at),
            undone_by=func.coalesce(Merge.undone_by, literal(SYSTEM_USER)),  # the service
        )
    )
    await forget_copies(session, tenant_id, contact_id)
    await schedule_follow_up(session, tenant_id, contact_id)
    await emit(
        session,
        events.event(
            "crm.contacts.contact.erased.v1",
            ContactErased(contact_id=contact_id, erased_at=erased_at),
            tenant_id=tenant_id,
            subject=contact_id,
            sequence=contact.version,
        ),
    )
    return contact


async def forget_copies(session: AsyncSession, tenant_id: UUID, contact_id: UUID) -> int:
    """Delete stored responses of idempotent requests that mention the contact, or a
    contact merged into it (whose responses carry the same person's data).

    The outbox needs nothing: the relay deletes each row once published, and rows still
    pending must go out (consumers, the erasure event among them, see them in order).
    The follow-up run catches a response stored by a request that was in flight.
    """
    merged = await session.execute(
        select(func.unnest(Merge.merged_ids)).where(
            Merge.tenant_id == tenant_id, Merge.primary_id == contact_id
        )
    )
    ids = {contact_id, *merged.scalars()}
    removed = 0
    for needle in (str(i).encode() for i in ids):
        stored = await session.execute(
            delete(idempotency_keys).where(
                idempotency_keys.c.tenant_id == tenant_id,
                and_(
                    idempotency_keys.c.response_body.is_not(None),
                    func.position(literal(needle).op("IN")(idempotency_keys.c.response_body)) > 0,
                ),
            )
        )
        removed += int(stored.rowcount or 0)  # type: ignore[attr-defined]
    return removed


FORGET_JOB = "privacy.forget_copies"


async def schedule_follow_up(session: AsyncSession, tenant_id: UUID, contact_id: UUID) -> None:
    """Run :func:`forget_copies` again once requests in flight have stored their responses."""
    from datetime import timedelta

    from crm_chassis.jobs import schedule

    await schedule(
        session,
        kind=FORGET_JOB,
        due_at=datetime.now(UTC) + timedelta(seconds=30),
        payload={"contact_id": str(contact_id)},
        tenant_id=tenant_id,
        dedupe_key=f"{FORGET_JOB}:{contact_id}",
    )


async def forget_copies_job(session: AsyncSession, job: Any) -> None:
    await forget_copies(session, job.tenant_id, UUID(job.payload["contact_id"]))
