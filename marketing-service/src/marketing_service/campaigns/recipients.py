"""All SQL of a campaign's recipients: the audience taken, claims, outcomes, counts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import (
    String,
    Text,
    Uuid,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from marketing_service.campaigns.models import Campaign
from marketing_service.campaigns.models import Recipient as R
from marketing_service.consent import repository as consent
from marketing_service.contacts.models import ListMember
from marketing_service.contacts.models import ProjectedContact as C
from marketing_service.contacts.projection import live
from marketing_service.segments.models import SegmentMember

SENT, SENDING, PENDING, HELD = "sent", "sending", "pending", "held"
OPEN = (PENDING, SENDING, HELD)


async def take_audience(session: AsyncSession, campaign: Campaign) -> int:
    """The campaign's recipients: the segment's members (or the list's) as they are
    now; consent is checked later, at each send. How many."""
    if campaign.segment_id is not None:
        source: Any = SegmentMember
        chosen = [SegmentMember.segment_id == campaign.segment_id]
    else:
        source = ListMember
        chosen = [ListMember.list_id == campaign.list_id]
    audience = (
        select(
            func.gen_random_uuid(),
            literal(campaign.tenant_id),
            literal(campaign.id),
            C.id,
            literal(PENDING),
        )
        .join(source, and_(source.tenant_id == C.tenant_id, source.contact_id == C.id))
        .where(C.tenant_id == campaign.tenant_id, live(), *chosen)
    )
    stmt = (
        insert(R)
        .from_select(["id", "tenant_id", "campaign_id", "contact_id", "status"], audience)
        .on_conflict_do_nothing()
    )
    result = await session.execute(stmt)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def split_for_test(
    session: AsyncSession, campaign_id: UUID, variants: Sequence[str], fraction: float
) -> None:
    """A/B: a stable pseudo-random ``fraction`` of the recipients get the variants in
    turn; the rest are held for the winner."""
    total = await session.scalar(select(func.count()).where(R.campaign_id == campaign_id)) or 0
    test_size = max(len(variants), math.ceil(total * fraction)) if total else 0
    ranked = (
        select(R.id, (func.row_number().over(order_by=func.md5(cast(R.id, String))) - 1).label("n"))
        .where(R.campaign_id == campaign_id)
        .subquery()
    )
    slot = ranked.c.n % len(variants)
    variant = case(*((slot == i, literal(name)) for i, name in enumerate(variants)))
    await session.execute(
        update(R)
        .where(R.id == ranked.c.id)
        .values(
            variant=case((ranked.c.n < test_size, variant), else_=None),
            status=case((ranked.c.n < test_size, PENDING), else_=HELD),
        )
        .execution_options(synchronize_session=False)
    )


async def release_held(session: AsyncSession, campaign_id: UUID, variant: str) -> int:
    result = await session.execute(
        update(R)
        .where(R.campaign_id == campaign_id, R.status == HELD)
        .values(status=PENDING, variant=variant)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def claim(session: AsyncSession, campaign_id: UUID, n: int, lease: timedelta) -> list[Any]:
    """Up to ``n`` recipients to send to now, each with its contact's attributes: pending
    ones due, and ones a crashed sender claimed (never handed over, so safe to send)."""
    now = func.now()
    due = (
        select(R.id)
        .where(
            R.campaign_id == campaign_id,
            or_(R.status == PENDING, R.status == SENDING),
            or_(R.claimed_until.is_(None), R.claimed_until < now),
        )
        .order_by(R.id)
        .limit(n)
        .with_for_update(skip_locked=True)
        .cte("due")
    )
    claimed = (
        update(R)
        .where(R.id == due.c.id)
        .values(status=SENDING, claimed_until=now + lease, attempts=R.attempts + 1)
        .returning(R.id, R.tenant_id, R.contact_id, R.variant, R.attempts)
        .cte("claimed")
    )
    stmt = select(
        claimed,
        C.email,
        C.first_name,
        C.last_name,
        C.title,
        C.company,
        C.city,
        C.country,
        C.custom,
        consent.row_version().label("version"),
    ).join(C, and_(C.tenant_id == claimed.c.tenant_id, C.id == claimed.c.contact_id))
    return list((await session.execute(stmt)).all())


@dataclass(frozen=True)
class Decision:
    """A send to decide: the recipient, the version of its contact's row its consent was
    checked (and its message rendered) at, and what its touchpoint and event will say."""

    recipient_id: UUID
    contact_id: UUID
    version: str
    subject: str
    to: str


def _unrecorded(subject: Any, to: Any) -> Any:
    return func.jsonb_build_object("subject", subject, "to", to)


def _decide_statement() -> Any:
    """The statement of :func:`mark_sent_unchanged`, built once (a batch's values are its
    array parameters)."""
    table: Any = R.__table__
    batch = func.unnest(
        bindparam("ids", type_=ARRAY(Uuid)),
        bindparam("contacts", type_=ARRAY(Uuid)),
        bindparam("versions", type_=ARRAY(Text)),
        bindparam("subjects", type_=ARRAY(Text)),
        bindparam("addresses", type_=ARRAY(Text)),
    ).table_valued("id", "contact_id", "version", "subject", "address")
    b = batch.render_derived()
    still = consent.unchanged_and_unsuppressed(
        table.c.tenant_id,
        b.c.contact_id,
        b.c.version,
        bindparam("channel", type_=String),
        bindparam("purpose", type_=String),
    )
    return (
        update(table)
        .where(table.c.id == b.c.id, table.c.status == SENDING, still)
        .values(
            status=SENT,
            sent_at=func.now(),
            claimed_until=null(),
            unrecorded=_unrecorded(b.c.subject, b.c.address),
        )
        .returning(table.c.id)
    )


_DECIDE = _decide_statement()


async def mark_sent_unchanged(
    conn: AsyncConnection, decisions: Sequence[Decision], channel: str, purpose: str
) -> set[UUID]:
    """Decide sends in one statement (on an autocommit connection: one round trip, its
    own commit): each recipient still in ``sending`` whose contact's row is still at the
    version checked, with no suppression since, becomes sent (and unrecorded). The ids
    that did; the others need the full check."""
    if not decisions:
        return set()
    params = {
        "ids": [d.recipient_id for d in decisions],
        "contacts": [d.contact_id for d in decisions],
        "versions": [d.version for d in decisions],
        "subjects": [d.subject for d in decisions],
        "addresses": [d.to for d in decisions],
        "channel": channel,
        "purpose": purpose,
    }
    return set((await conn.execute(_DECIDE, params)).scalars())


async def mark_sent(session: AsyncSession, decision: Decision) -> bool:
    """The send is decided: only the claim holder's row in ``sending`` becomes sent."""
    result = await session.execute(
        update(R)
        .where(R.id == decision.recipient_id, R.status == SENDING)
        .values(
            status=SENT,
            sent_at=func.now(),
            claimed_until=None,
            unrecorded=_unrecorded(literal(decision.subject), literal(decision.to)),
        )
        .returning(R.id)
    )
    return result.first() is not None


async def take_unrecorded(
    session: AsyncSession, campaign_id: UUID, *, wait: bool = False
) -> list[Any]:
    """The campaign's sent recipients whose touchpoint and event are not yet written,
    unmarked (the caller writes them in the same transaction): (id, tenant_id,
    contact_id, sent_at, unrecorded). Rows another transaction is recording are skipped,
    unless ``wait``."""
    due = (
        select(R.id, R.unrecorded)
        .where(R.campaign_id == campaign_id, R.unrecorded.is_not(None))
        .with_for_update(skip_locked=not wait)
        .cte("due")
    )
    stmt = (
        update(R)
        .where(R.id == due.c.id)
        .values(unrecorded=null())  # SQL NULL, not JSON null
        .returning(R.id, R.tenant_id, R.contact_id, R.sent_at, due.c.unrecorded)
    )
    return list((await session.execute(stmt)).all())


async def mark_many(
    session: AsyncSession, outcomes: Sequence[tuple[UUID, str, str | None]]
) -> None:
    """(recipient, status, reason) for many recipients at once, claims released."""
    if outcomes:
        rows = [
            {"id": i, "status": status, "reason": reason, "claimed_until": None}
            for i, status, reason in outcomes
        ]
        await session.execute(update(R), rows)


async def mark(
    session: AsyncSession,
    recipient_id: UUID,
    status: str,
    reason: str | None = None,
    *,
    retry_at: datetime | None = None,
) -> None:
    await session.execute(
        update(R)
        .where(R.id == recipient_id)
        .values(status=status, reason=reason, claimed_until=retry_at)
    )


async def counts(session: AsyncSession, campaign_id: UUID) -> dict[str, int]:
    rows = await session.execute(
        select(R.status, func.count()).where(R.campaign_id == campaign_id).group_by(R.status)
    )
    return {str(row[0]): int(row[1]) for row in rows}


async def variant_rates(
    session: AsyncSession, campaign_id: UUID
) -> dict[str, tuple[int, int, int]]:
    """Per variant: (sent, opened, clicked) among the test group."""
    rows = await session.execute(
        select(R.variant, func.count(), func.count(R.opened_at), func.count(R.clicked_at))
        .where(R.campaign_id == campaign_id, R.variant.is_not(None), R.status == SENT)
        .group_by(R.variant)
    )
    return {str(v): (s, o, c) for v, s, o, c in rows}


async def get(session: AsyncSession, tenant_id: UUID, recipient_id: UUID) -> R | None:
    return await session.scalar(select(R).where(R.tenant_id == tenant_id, R.id == recipient_id))


async def first_touch(session: AsyncSession, recipient_id: UUID, column: str) -> bool:
    """Set ``opened_at`` / ``clicked_at`` if unset; whether this was the first."""
    col = getattr(R, column)
    result = await session.execute(
        update(R)
        .where(R.id == recipient_id, col.is_(None))
        .values({column: func.now()})
        .returning(R.id)
    )
    return result.first() is not None


async def page(
    session: AsyncSession, tenant_id: UUID, campaign_id: UUID, after: UUID | None, limit: int
) -> list[R]:
    stmt = select(R).where(R.tenant_id == tenant_id, R.campaign_id == campaign_id).order_by(R.id)
    if after is not None:
        stmt = stmt.where(R.id > after)
    return list(await session.scalars(stmt.limit(limit)))
