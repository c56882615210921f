"""All SQL of journeys: versions, enrollments, sends."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from crm_chassis.repository import TenantRepository
from sqlalchemy import ColumnElement, Date, case, cast, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_service.contacts.models import ProjectedContact as C
from marketing_service.contacts.projection import live
from marketing_service.journeys.models import Enrollment, Journey, JourneySend, JourneyVersion

E = Enrollment


class JourneyRepository(TenantRepository[Journey]):
    model = Journey
    label = "journey"
    sortable = {"created_at": Journey.created_at, "name": Journey.name}

    async def triggered_by(self, trigger_type: str) -> list[tuple[Journey, JourneyVersion]]:
        """Active journeys whose published trigger is of this type, with that version."""
        stmt = (
            self.select(Journey, JourneyVersion)
            .join(
                JourneyVersion,
                (JourneyVersion.journey_id == Journey.id)
                & (JourneyVersion.version == Journey.published_version),
            )
            .where(
                Journey.status == "active", JourneyVersion.trigger["type"].astext == trigger_type
            )
        )
        return [(j, v) for j, v in (await self.session.execute(stmt)).all()]


def date_is(field: str, offset_days: int, today: date) -> ColumnElement[bool]:
    """The contact's date field is ``offset_days`` after ``today`` (a custom value that is
    not an ISO date does not match)."""
    day = today + timedelta(days=offset_days)
    if field == "created_at":
        return func.date(C.contact_created_at) == day
    value = C.custom[field.removeprefix("custom.")].astext
    iso = case((value.regexp_match(r"^\d{4}-\d{2}-\d{2}"), func.substr(value, 1, 10)))
    return cast(iso, Date) == day


async def contacts_on(
    session: AsyncSession, tenant_id: UUID, field: str, offset_days: int, today: date
) -> list[UUID]:
    stmt = select(C.id).where(C.tenant_id == tenant_id, live(), date_is(field, offset_days, today))
    return list(await session.scalars(stmt))


async def add_version(session: AsyncSession, journey: Journey, version: int) -> None:
    await session.execute(
        insert(JourneyVersion).values(
            journey_id=journey.id,
            version=version,
            tenant_id=journey.tenant_id,
            trigger=journey.trigger,
            definition=journey.definition,
        )
    )


async def version(session: AsyncSession, journey_id: UUID, number: int) -> JourneyVersion | None:
    return await session.get(JourneyVersion, (journey_id, number))


async def enroll(
    session: AsyncSession, tenant_id: UUID, journey: Journey, contact_id: UUID, start: str
) -> UUID | None:
    """A new enrollment at ``start``, unless the contact is in the journey now, or ever
    was and the journey does not allow re-entry; its id, or None."""
    if not journey.allow_reentry:
        before = await session.scalar(
            select(exists().where(E.journey_id == journey.id, E.contact_id == contact_id))
        )
        if before:
            return None
    stmt = (
        insert(E)
        .values(
            tenant_id=tenant_id,
            journey_id=journey.id,
            version=journey.published_version,
            contact_id=contact_id,
            step=start,
            status="active",
        )
        .on_conflict_do_nothing(
            index_elements=[E.journey_id, E.contact_id], index_where=E.status == "active"
        )
        .returning(E.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def locked(session: AsyncSession, enrollment_id: UUID) -> Enrollment | None:
    # NO KEY UPDATE: a send's record (its foreign key) may be written meanwhile.
    return await session.get(Enrollment, enrollment_id, with_for_update={"key_share": True})


async def active_of(session: AsyncSession, journey_id: UUID) -> list[Any]:
    rows = await session.execute(
        select(E.id, E.tenant_id).where(E.journey_id == journey_id, E.status == "active")
    )
    return list(rows.all())


async def exit_contacts(
    session: AsyncSession, tenant_id: UUID, contact_ids: Sequence[UUID]
) -> list[UUID]:
    rows = await session.execute(
        update(E)
        .where(E.tenant_id == tenant_id, E.contact_id.in_(contact_ids), E.status == "active")
        .values(status="exited", wake_at=None)
        .returning(E.id)
    )
    return list(rows.scalars())


async def sent(session: AsyncSession, enrollment_id: UUID, step: str) -> bool:
    return await session.get(JourneySend, (enrollment_id, step)) is not None


async def record_send(
    session: AsyncSession, enrollment_id: UUID, step: str, message_id: UUID
) -> bool:
    stmt = (
        insert(JourneySend)
        .values(enrollment_id=enrollment_id, step=step, message_id=message_id)
        .on_conflict_do_nothing()
        .returning(JourneySend.step)
    )
    return (await session.execute(stmt)).first() is not None


async def page_enrollments(
    session: AsyncSession, tenant_id: UUID, journey_id: UUID, limit: int
) -> list[Enrollment]:
    stmt = (
        select(E)
        .where(E.tenant_id == tenant_id, E.journey_id == journey_id)
        .order_by(E.entered_at, E.id)
        .limit(limit)
    )
    return list(await session.scalars(stmt))
