"""Consent use cases (M7): the check before every send, unsubscribe, preferences."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from crm_chassis.outbox import emit
from crm_proto.events.marketing import ContactSubscribed, ContactUnsubscribed
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_service.consent import repository as repo
from marketing_service.consent.models import ALL_PURPOSES
from marketing_service.consent.policy import refusal
from marketing_service.events import SOURCE


async def refusal_for(
    session: AsyncSession, tenant_id: UUID, contact_id: UUID, channel: str, purpose: str
) -> str | None:
    """Why this send may not go now, or None: read from the projection at this moment,
    the contact's row held until the caller's transaction ends."""
    facts = await repo.facts_of(session, tenant_id, [contact_id], channel, purpose, lock=True)
    return refusal(facts.get(contact_id), channel, purpose)


async def refusals_for(
    session: AsyncSession,
    tenant_id: UUID,
    contact_ids: Sequence[UUID],
    channel: str,
    purpose: str,
) -> dict[UUID, str | None]:
    """Why each send may not go (None: it may), in one query, without holding the rows:
    a sender that decides each allowed send again when it goes, against the version of
    the contact's row it read then (``repository.unchanged_and_unsuppressed``)."""
    facts = await repo.facts_of(session, tenant_id, contact_ids, channel, purpose)
    return {c: refusal(facts.get(c), channel, purpose) for c in contact_ids}


async def unsubscribe(
    session: AsyncSession,
    tenant_id: UUID,
    contact_id: UUID,
    channel: str,
    purpose: str,
    *,
    source: str,
    message_id: UUID | None = None,
) -> bool:
    """Stop sends to the contact on the channel for the purpose; published (once) so
    contacts-service records the consent as denied. Whether it was new."""
    if not await repo.suppress(session, tenant_id, contact_id, channel, purpose, "unsubscribed"):
        return False
    data = ContactUnsubscribed(
        contact_id=contact_id,
        channel=channel,
        purpose=purpose,
        source=source,
        message_id=message_id,
    )
    await emit(
        session,
        SOURCE.event(
            "crm.marketing.contact.unsubscribed.v1", data, tenant_id=tenant_id, subject=contact_id
        ),
    )
    return True


async def suppress_address(
    session: AsyncSession, tenant_id: UUID, contact_id: UUID, channel: str, reason: str
) -> None:
    """A hard bounce or a complaint: nothing more on the channel, for any purpose."""
    await repo.suppress(session, tenant_id, contact_id, channel, ALL_PURPOSES, reason)


async def preferences(
    session: AsyncSession, tenant_id: UUID, contact_id: UUID, channel: str, purpose: str
) -> dict[str, bool]:
    """Purpose -> whether the contact receives it on the channel."""
    facts = (await repo.facts_of(session, tenant_id, [contact_id], channel, purpose)).get(
        contact_id
    )
    granted = dict((facts.consent.get(channel) or {}) if facts else {})
    granted.setdefault(purpose, "unknown")
    suppressed = await repo.suppressed_purposes(session, tenant_id, contact_id, channel)
    return {
        p: status == "granted" and p not in suppressed and ALL_PURPOSES not in suppressed
        for p, status in sorted(granted.items())
    }


async def set_preferences(
    session: AsyncSession, tenant_id: UUID, contact_id: UUID, channel: str, wanted: dict[str, bool]
) -> None:
    for purpose, subscribed in sorted(wanted.items()):
        if not subscribed:
            await unsubscribe(
                session, tenant_id, contact_id, channel, purpose, source="preferences"
            )
            continue
        await repo.lift(session, tenant_id, contact_id, channel, purpose)
        data = ContactSubscribed(contact_id=contact_id, channel=channel, purpose=purpose)
        await emit(
            session,
            SOURCE.event(
                "crm.marketing.contact.subscribed.v1", data, tenant_id=tenant_id, subject=contact_id
            ),
        )
