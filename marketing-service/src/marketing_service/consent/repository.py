"""All SQL of consent: the facts of a send decision in one query, and suppressions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import delete, exists, literal_column, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_service.consent.models import ALL_PURPOSES
from marketing_service.consent.models import Suppression as S
from marketing_service.consent.policy import ADDRESS_OF, Facts
from marketing_service.contacts.models import ProjectedContact as C


def _suppressions(tenant_id: Any, contact_id: Any, channel: Any, purpose: Any) -> Any:
    """The reasons of the contact's suppressions for the channel and purpose (over the
    given columns, to correlate)."""
    return select(S.reason).where(
        S.tenant_id == tenant_id,
        S.contact_id == contact_id,
        S.channel == channel,
        S.purpose.in_([purpose, ALL_PURPOSES]),
    )


def row_version() -> Any:
    """A contact row's version: its ``xmin`` (as text), which every write of the row
    changes (projection upserts, deletes, merges, erasures, scores)."""
    return literal_column(f"{C.__tablename__}.xmin::text")


async def facts_of(
    session: AsyncSession,
    tenant_id: UUID,
    contact_ids: Sequence[UUID],
    channel: str,
    purpose: str,
    *,
    lock: bool = False,
) -> dict[UUID, Facts]:
    """The send-decision facts of each contact, from the projection as it is now.
    ``lock`` holds the contacts' rows (shared) until the transaction ends, so a change
    of consent cannot commit between the check and the send it allows."""
    suppressed = _suppressions(C.tenant_id, C.id, channel, purpose).limit(1).scalar_subquery()
    address = getattr(C, ADDRESS_OF.get(channel, "email"))
    stmt = select(
        C.id,
        C.deleted,
        C.erased,
        C.do_not_contact,
        C.consent,
        address.label("address"),
        suppressed.label("suppressed"),
    ).where(C.tenant_id == tenant_id, C.id.in_(contact_ids))
    if lock:
        stmt = stmt.with_for_update(read=True, of=C)
    return {
        r.id: Facts(
            exists=not (r.deleted or r.erased),
            do_not_contact=r.do_not_contact,
            consent=r.consent or {},
            address=r.address,
            suppressed=r.suppressed,
        )
        for r in await session.execute(stmt)
    }


def unchanged_and_unsuppressed(
    tenant_id: Any, contact_id: Any, version: Any, channel: Any, purpose: Any
) -> Any:
    """A condition, for the statement that decides a send: the contact's row is still at
    ``version`` (so the facts a check allowed the send on still hold) and no suppression
    for the channel and purpose has been added since. Evaluated in that statement, a
    change committed after it is ordered after the send."""
    still = select(C.id).where(
        C.tenant_id == tenant_id, C.id == contact_id, row_version() == version
    )
    return exists(still) & ~exists(_suppressions(tenant_id, contact_id, channel, purpose))


async def suppress(
    session: AsyncSession,
    tenant_id: UUID,
    contact_id: UUID,
    channel: str,
    purpose: str,
    reason: str,
) -> bool:
    """Whether the suppression is new."""
    stmt = insert(S).values(
        tenant_id=tenant_id, contact_id=contact_id, channel=channel, purpose=purpose, reason=reason
    )
    result = await session.execute(stmt.on_conflict_do_nothing().returning(S.contact_id))
    return result.first() is not None


async def lift(
    session: AsyncSession, tenant_id: UUID, contact_id: UUID, channel: str, purpose: str
) -> None:
    await session.execute(
        delete(S).where(
            S.tenant_id == tenant_id,
            S.contact_id == contact_id,
            S.channel == channel,
            S.purpose.in_([purpose, ALL_PURPOSES]),
            S.reason.in_(["unsubscribed"]),
        )
    )


async def suppressed_purposes(
    session: AsyncSession, tenant_id: UUID, contact_id: UUID, channel: str
) -> dict[str, str]:
    rows = await session.execute(
        select(S.purpose, S.reason).where(
            S.tenant_id == tenant_id, S.contact_id == contact_id, S.channel == channel
        )
    )
    return {r.purpose: r.reason for r in rows}
