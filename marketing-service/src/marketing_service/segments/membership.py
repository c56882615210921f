"""Segment membership kept current (M1): incrementally as events arrive, and in full.

- :func:`refresh_contacts`: the contacts an event changed are evaluated against every
  segment of the tenant in one query; memberships that differ are added or removed.
- :func:`evaluate`: one segment's whole membership brought to its rule's answer: the
  difference read in one statement (parallel, as a plain query of the rule), only it
  written, its events in one ``COPY`` (a new or changed rule, and on a schedule for
  rules relative to the time of evaluation, which stop holding as time passes without
  any event).

Every change publishes ``segment.entered`` / ``segment.left`` with the membership change
(outbox), and an entry starts the journeys that segment triggers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from crm_chassis.outbox import emit
from crm_chassis.outbox_bulk import BulkEvents, copy_events
from crm_proto.events.marketing import SegmentEntered, SegmentLeft
from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_service.events import SOURCE
from marketing_service.journeys import triggers
from marketing_service.segments import repository as repo
from marketing_service.segments.models import Segment
from marketing_service.segments.repository import SegmentRepository
from marketing_service.segments.rules import Rule

RULE = TypeAdapter(Rule)
Pairs = Sequence[tuple[UUID, UUID]]  # (segment id, contact id)
BULK_AT = 200


def parse(rule: dict[str, Any]) -> Rule:
    return RULE.validate_python(rule)


async def publish(session: AsyncSession, tenant_id: UUID, entered: Pairs, left: Pairs) -> None:
    """The entered / left events of membership changes, and the journeys they start."""
    changes = [("crm.marketing.segment.entered.v1", p) for p in entered] + [
        ("crm.marketing.segment.left.v1", p) for p in left
    ]
    if len(changes) >= BULK_AT:
        bulk = BulkEvents(source=SOURCE.source, tenant_id=tenant_id)
        for type_, (segment_id, contact_id) in changes:
            data = {"segment_id": str(segment_id), "contact_id": str(contact_id)}
            bulk.add(type_, data, subject=segment_id)
        await copy_events(session, bulk)
    else:
        for type_, (segment_id, contact_id) in changes:
            model = SegmentEntered if type_.endswith("entered.v1") else SegmentLeft
            data = model(segment_id=segment_id, contact_id=contact_id)
            await emit(session, SOURCE.event(type_, data, tenant_id=tenant_id, subject=segment_id))
    if entered:
        await triggers.segment_entered(session, tenant_id, entered)


async def refresh_contacts(
    session: AsyncSession, tenant_id: UUID, contact_ids: Sequence[UUID], now: datetime
) -> None:
    """Re-evaluate every segment of the tenant for these contacts."""
    if not contact_ids:
        return
    await repo.serialize(session, tenant_id)
    segments = await SegmentRepository(session, tenant_id).all_rules()
    rules = [(segment_id, parse(rule)) for segment_id, rule in segments]
    if not rules:
        return
    should = await repo.matches_of(session, tenant_id, rules, contact_ids, now)
    held = await repo.memberships_of(session, tenant_id, contact_ids)
    entered: list[tuple[UUID, UUID]] = []
    left: list[tuple[UUID, UUID]] = []
    for contact_id in contact_ids:
        want, have = should.get(contact_id, set()), held.get(contact_id, set())
        entered += [(s, contact_id) for s in sorted(want - have)]
        left += [(s, contact_id) for s in sorted(have - want)]
    await repo.add_members(session, tenant_id, entered, now)
    await repo.remove_members(session, tenant_id, left)
    await publish(session, tenant_id, entered, left)


async def evaluate(session: AsyncSession, segment: Segment, now: datetime) -> tuple[int, int]:
    """Full re-evaluation of one segment; how many entered and left."""
    await repo.serialize(session, segment.tenant_id)
    entered, left = await repo.reevaluate(
        session, segment.tenant_id, segment.id, parse(segment.rule), now
    )
    await publish(
        session,
        segment.tenant_id,
        [(segment.id, c) for c in entered],
        [(segment.id, c) for c in left],
    )
    return len(entered), len(left)


async def drop_contacts(
    session: AsyncSession, tenant_id: UUID, contact_ids: Sequence[UUID]
) -> None:
    """Contacts merged away or erased leave every segment.

    Under the tenant's membership lock, like the evaluations: one running now may have
    found the contact matching and holds its entry uncommitted; taken here first, the
    removal waits for it and then sees (and removes) that entry, and a later evaluation
    sees the contact gone. Callers do this first, so the lock comes before any other.
    """
    await repo.serialize(session, tenant_id)
    left = await repo.drop_contact(session, tenant_id, contact_ids)
    await publish(session, tenant_id, [], left)
