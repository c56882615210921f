"""Journey use cases: drafts (CRUD), publish a version, pause, resume, enrollments."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from crm_chassis.crud import Call, Crud, View, load_for_update
from crm_chassis.entity_events import EntityEvents
from crm_chassis.errors import Conflict
from crm_chassis.jobs import JobHandler
from crm_chassis.orm import utcnow
from crm_chassis.outbox import emit
from crm_proto.events import marketing

from marketing_service.delivery.email import EmailChannel
from marketing_service.events import SOURCE
from marketing_service.journeys import engine
from marketing_service.journeys import repository as repo
from marketing_service.journeys.models import Journey
from marketing_service.journeys.repository import JourneyRepository
from marketing_service.journeys.schemas import JourneyRead, JourneyWrite
from marketing_service.settings import MarketingSettings

VIEW = View("journey", JourneyRead, path="/v1/journeys")
EVENTS = EntityEvents.of(SOURCE, "crm.marketing.journey", marketing)


def _columns(data: JourneyWrite) -> dict[str, Any]:
    return data.model_dump(mode="json", by_alias=True, exclude_none=True)


class Journeys(Crud[Journey]):
    """Edits change the draft; only :func:`publish` changes what runs."""

    async def patch(self, call: Call, id_: UUID, body: Any, if_match: str | None) -> Any:
        with call.session.no_autoflush:
            if isinstance(body, dict):
                # Trigger and graph are replaced whole, not merged key by key.
                journey = await self.repo(call).require(id_)
                for name in ("trigger", "definition"):
                    if name in body:
                        setattr(journey, name, {})
            return await super().patch(call, id_, body, if_match)


JOURNEYS = Journeys(JourneyRepository, VIEW, JourneyWrite, EVENTS, columns=_columns)


async def _load(call: Call, id_: UUID, if_match: str | None) -> Journey:
    return await load_for_update(JourneyRepository(call.session, call.actor), id_, if_match)


async def publish(call: Call, id_: UUID, if_match: str | None) -> Journey:
    """The draft becomes the running version; contacts already in it keep theirs."""
    journey = await _load(call, id_, if_match)
    number = journey.published_version + 1
    await repo.add_version(call.session, journey, number)
    journey.published_version, journey.status = number, "active"
    if journey.trigger.get("type") == "date":
        await engine.schedule_date_scan(call.session, journey, timedelta(days=1))
    await call.session.flush()
    await emit(call.session, EVENTS.updated(journey, ["published_version", "status"]))
    return journey


async def pause(call: Call, id_: UUID, if_match: str | None) -> Journey:
    journey = await _load(call, id_, if_match)
    if journey.status != "active":
        raise Conflict(f"The journey is {journey.status}")
    journey.status = "paused"
    await call.session.flush()
    await emit(call.session, EVENTS.updated(journey, ["status"]))
    return journey


async def resume(call: Call, id_: UUID, if_match: str | None) -> Journey:
    journey = await _load(call, id_, if_match)
    if journey.status != "paused":
        raise Conflict(f"The journey is {journey.status}")
    journey.status = "active"
    for row in await repo.active_of(call.session, id_):
        await engine.schedule_advance(call.session, row.tenant_id, row.id, utcnow())
    await call.session.flush()
    await emit(call.session, EVENTS.updated(journey, ["status"]))
    return journey


async def enrollments(call: Call, id_: UUID, limit: int) -> list[Any]:
    await JourneyRepository(call.session, call.actor).require(id_)
    return await repo.page_enrollments(call.session, call.tenant_id, id_, limit)


def job_handlers(settings: MarketingSettings) -> dict[str, JobHandler]:
    runner = engine.Runner(settings, EmailChannel(settings))
    return {engine.ADVANCE: runner.advance, engine.DATE_SCAN: engine.date_scan}
