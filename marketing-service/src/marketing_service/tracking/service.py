"""Tracking use cases (M3, M8): opens and clicks from signed tokens, behaviour posted by
browsers or servers; each stored as a touchpoint and published."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from uuid import UUID

from crm_chassis.crud import Call
from crm_chassis.errors import Forbidden, NotFound
from crm_chassis.orm import utcnow
from crm_chassis.outbox import emit
from crm_proto.events.activity import EmailClicked, EmailOpened
from crm_proto.events.marketing import BehaviourTracked
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_service import reactions
from marketing_service.campaigns import recipients
from marketing_service.contacts.models import ProjectedContact as C
from marketing_service.events import SOURCE
from marketing_service.journeys import triggers
from marketing_service.tracking import touchpoints
from marketing_service.tracking.models import TrackingKey


async def opened(session: AsyncSession, token: dict[str, Any]) -> None:
    tenant_id, message_id, contact_id = UUID(token["t"]), UUID(token["m"]), UUID(token["c"])
    campaign_id = UUID(token["k"]) if token.get("k") else None
    if campaign_id is not None:
        first = await recipients.first_touch(session, message_id, "opened_at")
    else:  # a journey's message: no recipient row, its touchpoint says whether it was opened
        first = not await touchpoints.exists(session, tenant_id, message_id, "email_opened")
    if not first:
        return  # a second open (or a mail client's prefetch) counts once
    await touchpoints.record(
        session,
        tenant_id,
        contact_id,
        "email_opened",
        channel="email",
        campaign_id=campaign_id,
        message_id=message_id,
    )
    data = EmailOpened(message_id=message_id, campaign_id=campaign_id, contact_id=contact_id)
    await emit(
        session,
        SOURCE.event(
            "crm.marketing.email.opened.v1", data, tenant_id=tenant_id, subject=message_id
        ),
    )
    await reactions.contacts_changed(session, tenant_id, [contact_id])


async def clicked(session: AsyncSession, token: dict[str, Any]) -> str:
    """Record the click; the URL the sender wrote, to redirect to."""
    tenant_id, message_id, contact_id = UUID(token["t"]), UUID(token["m"]), UUID(token["c"])
    campaign_id = UUID(token["k"]) if token.get("k") else None
    url = str(token["u"])
    await recipients.first_touch(session, message_id, "clicked_at")
    await recipients.first_touch(session, message_id, "opened_at")  # a click implies an open
    await touchpoints.record(
        session,
        tenant_id,
        contact_id,
        "email_clicked",
        name=url,
        channel="email",
        campaign_id=campaign_id,
        message_id=message_id,
    )
    data = EmailClicked(
        message_id=message_id, campaign_id=campaign_id, contact_id=contact_id, url=url
    )
    await emit(
        session,
        SOURCE.event(
            "crm.marketing.email.clicked.v1", data, tenant_id=tenant_id, subject=message_id
        ),
    )
    await reactions.contacts_changed(session, tenant_id, [contact_id])
    return url


async def new_key(call: Call) -> str:
    key = "pk_" + secrets.token_urlsafe(24)
    await call.session.execute(insert(TrackingKey).values(key=key, tenant_id=call.tenant_id))
    return key


async def tenant_of_key(session: AsyncSession, key: str | None) -> UUID:
    if not key:
        raise Forbidden("A tracking key (X-Tracking-Key) or a token is required")
    tenant_id = await session.scalar(select(TrackingKey.tenant_id).where(TrackingKey.key == key))
    if tenant_id is None:
        raise Forbidden("Unknown tracking key")
    return tenant_id


async def track(session: AsyncSession, tenant_id: UUID, events: list[Any]) -> int:
    """Record a batch of behaviour of known contacts; how many were recorded (events of
    contacts marketing does not know are dropped, not errors: browsers send blindly)."""
    ids = {e.contact_id for e in events}
    known = set(
        await session.scalars(
            select(C.id).where(C.tenant_id == tenant_id, C.id.in_(ids), C.deleted.is_(False))
        )
    )
    kept = [e for e in events if e.contact_id in known]
    now = utcnow()
    rows = []
    for e in kept:
        at: datetime = e.occurred_at or now
        rows.append(
            {
                "tenant_id": tenant_id,
                "contact_id": e.contact_id,
                "kind": e.type,
                "name": e.name,
                "channel": "web",
                "properties": e.properties,
                "occurred_at": at,
            }
        )
        data = BehaviourTracked(
            contact_id=e.contact_id,
            kind=e.type,
            name=e.name,
            properties=e.properties,
            occurred_at=at,
        )
        await emit(
            session,
            SOURCE.event(
                "crm.marketing.behaviour.tracked.v1",
                data,
                tenant_id=tenant_id,
                subject=e.contact_id,
            ),
        )
    await touchpoints.record_many(session, rows)
    await reactions.contacts_changed(session, tenant_id, sorted(known))
    await triggers.event_received(
        session, tenant_id, [((e.type, e.name), e.contact_id) for e in kept]
    )
    return len(kept)


async def contact_touchpoints(
    call: Call, contact_id: UUID, kinds: list[str] | None, limit: int
) -> list[Any]:
    from marketing_service.scoring.service import require_contact

    await require_contact(call, contact_id)
    return await touchpoints.of_contact(
        call.session, call.tenant_id, contact_id, kinds=kinds, before=None, limit=limit
    )


__all__ = ["NotFound"]
