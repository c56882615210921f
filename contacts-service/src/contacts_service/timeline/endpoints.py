from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from crm_chassis.auth import ActorDep
from crm_chassis.db import SessionDep
from crm_chassis.pagination import Page, PageParamsDep
from fastapi import APIRouter, Depends, Query

from contacts_service.deps import READ
from contacts_service.notes.service import require_record
from contacts_service.timeline import service
from contacts_service.timeline.rules import Kind
from contacts_service.timeline.schemas import TimelineEntryRead
from contacts_service.timeline.service import TimelineFilters

router = APIRouter(prefix="/v1", tags=["timeline"])


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value and value.tzinfo is None else value


def _filters(
    kind: Annotated[
        list[Kind] | None, Query(description="only these kinds (repeat the parameter)")
    ] = None,
    since: Annotated[datetime | None, Query(description="occurred at or after (UTC)")] = None,
    until: Annotated[datetime | None, Query(description="occurred before (UTC)")] = None,
) -> TimelineFilters:
    return TimelineFilters(
        kinds=tuple(k.value for k in kind or ()), since=_utc(since), until=_utc(until)
    )


FiltersDep = Annotated[TimelineFilters, Depends(_filters)]


@router.get("/contacts/{contact_id:uuid}/timeline", dependencies=READ)
async def contact_timeline(
    contact_id: UUID,
    session: SessionDep,
    principal: ActorDep,
    page: PageParamsDep,
    filters: FiltersDep,
) -> Page[TimelineEntryRead]:
    """Everything that happened with the contact in every service, newest first."""
    await require_record(session, principal, "contact", contact_id)
    rows, cursor = await service.page(
        session=session,
        tenant_id=principal.tenant_id,
        params=page,
        filters=filters,
        contact_id=contact_id,
    )
    return Page(data=[TimelineEntryRead.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/accounts/{account_id:uuid}/timeline", dependencies=READ)
async def account_timeline(
    account_id: UUID,
    session: SessionDep,
    principal: ActorDep,
    page: PageParamsDep,
    filters: FiltersDep,
    include_contacts: Annotated[
        bool,
        Query(description="also the activity of the contacts linked to the account"),
    ] = True,
) -> Page[TimelineEntryRead]:
    """The account's activity, newest first; by default with that of its linked contacts
    (as a CRM's company record shows its people's emails, calls and deals)."""
    await require_record(session, principal, "account", account_id)
    rows, cursor = await service.page(
        session=session,
        tenant_id=principal.tenant_id,
        params=page,
        filters=filters,
        account_id=account_id,
        include_contacts=include_contacts,
    )
    return Page(data=[TimelineEntryRead.model_validate(r) for r in rows], next_cursor=cursor)
