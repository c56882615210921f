"""Running journeys (M4): enrollment on a trigger, and each contact's steps on chassis jobs.

An enrollment stores the step it is at; a job (``journey.advance``, one pending per
enrollment) runs its steps until a wait or the end, in one transaction with the stored
progress, so a restart resumes exactly there. A wait stores its wake-up time and
schedules the job for it. A paused journey's jobs do nothing; resuming schedules its
active enrollments again. An email step's send is recorded (``journey_sends``) just
before its end of data, like a campaign's, so it is never sent twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
from crm_chassis import jobs
from crm_chassis.jobs import Job
from crm_chassis.mail import MailRejected
from crm_chassis.orm import utcnow
from crm_chassis.outbox import emit
from crm_proto.events.activity import EmailSent
from crm_proto.events.marketing import (
    ContactTagRequested,
    JourneyCompleted,
    JourneyEnrolled,
    TaskRequested,
)
from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_service.campaigns.rendering import Addressee, Content, Links, contact_context, render
from marketing_service.campaigns.sender import Refused, sessions_of
from marketing_service.consent import service as consent
from marketing_service.contacts.models import ProjectedContact as C
from marketing_service.contacts.projection import live
from marketing_service.delivery.channel import Channel
from marketing_service.events import SOURCE
from marketing_service.journeys import repository as repo
from marketing_service.journeys.models import Enrollment, Journey
from marketing_service.journeys.repository import JourneyRepository
from marketing_service.journeys.schemas import Definition, Step
from marketing_service.segments.compiler import compile_rule
from marketing_service.settings import MarketingSettings
from marketing_service.tracking import touchpoints

log = logging.getLogger("crm.marketing.journeys")

ADVANCE = "journey.advance"
MAX_STEPS_PER_RUN = 50
STEP = TypeAdapter(Step)


def _key(enrollment_id: UUID) -> str:
    return f"enrollment:{enrollment_id}"


async def schedule_advance(
    session: AsyncSession, tenant_id: UUID, enrollment_id: UUID, due_at: datetime
) -> None:
    await jobs.schedule(
        session,
        kind=ADVANCE,
        due_at=due_at,
        tenant_id=tenant_id,
        payload={"enrollment_id": str(enrollment_id)},
        dedupe_key=_key(enrollment_id),
    )


async def enroll_on_trigger(
    session: AsyncSession, tenant_id: UUID, trigger: str, pairs: Sequence[tuple[Any, UUID]]
) -> None:
    """Enroll contacts into the active journeys of ``trigger``: ``pairs`` are (segment id,
    contact) for ``segment_entered``, ((event kind, name), contact) for ``event``."""
    journeys = await JourneyRepository(session, tenant_id).triggered_by(trigger)
    for journey, version in journeys:
        wanted = version.trigger
        for key, contact_id in pairs:
            if trigger == "segment_entered" and str(key) != wanted["segment_id"]:
                continue
            if trigger == "event" and (
                key[0] != wanted["event"] or wanted.get("name") not in (None, key[1])
            ):
                continue
            await enroll(session, tenant_id, journey, version.definition, contact_id)


async def enroll(
    session: AsyncSession,
    tenant_id: UUID,
    journey: Journey,
    definition: dict[str, Any],
    contact_id: UUID,
) -> UUID | None:
    enrollment_id = await repo.enroll(session, tenant_id, journey, contact_id, definition["start"])
    if enrollment_id is None:
        return None
    data = JourneyEnrolled(
        journey_id=journey.id,
        journey_version=journey.published_version,
        contact_id=contact_id,
        enrollment_id=enrollment_id,
    )
    await emit(
        session,
        SOURCE.event(
            "crm.marketing.journey.enrolled.v1", data, tenant_id=tenant_id, subject=journey.id
        ),
    )
    await schedule_advance(session, tenant_id, enrollment_id, utcnow())
    return enrollment_id


async def exit_contacts(
    session: AsyncSession, tenant_id: UUID, contact_ids: Sequence[UUID], *, reason: str
) -> None:
    """Take contacts out of every journey (merged away, erased)."""
    for enrollment_id in await repo.exit_contacts(session, tenant_id, contact_ids):
        await jobs.cancel(session, tenant_id=tenant_id, dedupe_key=_key(enrollment_id))
    if contact_ids:
        log.info("%d contacts left their journeys (%s)", len(contact_ids), reason)


DATE_SCAN = "journey.date_scan"


async def schedule_date_scan(session: AsyncSession, journey: Journey, every: timedelta) -> None:
    """A date-triggered journey looks for the day's contacts now and then daily."""
    await jobs.schedule(
        session,
        kind=DATE_SCAN,
        due_at=utcnow(),
        tenant_id=journey.tenant_id,
        payload={"journey_id": str(journey.id)},
        dedupe_key=f"journey-date:{journey.id}",
        every=every,
        replace=True,
    )


async def date_scan(session: AsyncSession, job: Job) -> None:
    """Job: enroll the contacts whose date is today (by the published trigger)."""
    assert job.tenant_id is not None
    journey = await session.get(Journey, UUID(job.payload["journey_id"]))
    if journey is None or journey.status != "active":
        return
    version = await repo.version(session, journey.id, journey.published_version)
    if version is None or version.trigger.get("type") != "date":
        return
    trigger = version.trigger
    today = utcnow().date()
    ids = await repo.contacts_on(
        session, job.tenant_id, trigger["field"], trigger["offset_days"], today
    )
    for contact_id in ids:
        await enroll(session, job.tenant_id, journey, version.definition, contact_id)


class Runner:
    """Runs enrollments' steps (the ``journey.advance`` job)."""

    def __init__(self, settings: MarketingSettings, channel: Channel) -> None:
        self.settings = settings
        self.channel = channel
        self.links = Links(settings.public_base_url, settings.signing_secret.get_secret_value())

    async def advance(self, session: AsyncSession, job: Job) -> None:
        enrollment = await repo.locked(session, UUID(job.payload["enrollment_id"]))
        if enrollment is None or enrollment.status != "active":
            return
        journey = await session.get(Journey, enrollment.journey_id)
        if journey is None or journey.status != "active":
            return  # paused: resuming schedules it again
        version = await repo.version(session, journey.id, enrollment.version)
        assert version is not None
        steps = Definition.model_validate(version.definition).steps
        now = utcnow()
        for ran in range(MAX_STEPS_PER_RUN):
            if enrollment.step is None:
                await self._complete(session, enrollment)
                return
            step = steps[enrollment.step]
            if step.type == "send_email" and ran:
                # A send runs first in its own run: its commit must not wait for rows
                # this transaction changed (a score, a contact) to be committed.
                break
            if step.type == "wait":
                wake = enrollment.wake_at or (
                    step.until if step.until else now + timedelta(seconds=step.seconds or 0)
                )
                if wake > now:
                    enrollment.wake_at = wake
                    await schedule_advance(session, enrollment.tenant_id, enrollment.id, wake)
                    return
                enrollment.wake_at = None
            enrollment.step = await self._run(session, enrollment, journey, step, now)
        await schedule_advance(session, enrollment.tenant_id, enrollment.id, now)

    async def _run(
        self, session: AsyncSession, e: Enrollment, journey: Journey, step: Any, now: datetime
    ) -> str | None:
        """Do one step; the step to go to next."""
        if step.type == "condition":
            holds = await session.scalar(
                select(compile_rule(step.rule, now)).where(
                    C.tenant_id == e.tenant_id, C.id == e.contact_id, live()
                )
            )
            return step.then if holds else step.else_
        if step.type == "send_email":
            await self._send(session, e, journey, step)
        elif step.type == "add_tag":
            data: Any = ContactTagRequested(
                contact_id=e.contact_id, tag=step.tag, journey_id=journey.id
            )
            await emit(
                session,
                SOURCE.event(
                    "crm.marketing.contact.tag_requested.v1",
                    data,
                    tenant_id=e.tenant_id,
                    subject=e.contact_id,
                ),
            )
        elif step.type == "change_score":
            from marketing_service.scoring.service import adjust_for

            await adjust_for(session, e.tenant_id, e.contact_id, step.points, step.reason)
        elif step.type == "create_task":
            owner = await session.scalar(
                select(C.owner_id).where(C.tenant_id == e.tenant_id, C.id == e.contact_id)
            )
            due = (
                now + timedelta(seconds=step.due_in_seconds)
                if step.due_in_seconds is not None
                else None
            )
            data = TaskRequested(
                contact_id=e.contact_id,
                owner_id=owner,
                title=step.title,
                type=step.task_type,
                due_at=due,
                journey_id=journey.id,
            )
            await emit(
                session,
                SOURCE.event(
                    "crm.marketing.task.requested.v1",
                    data,
                    tenant_id=e.tenant_id,
                    subject=e.contact_id,
                ),
            )
        elif step.type == "webhook":
            body = {
                "journey_id": str(journey.id),
                "contact_id": str(e.contact_id),
                "enrollment_id": str(e.id),
                "step": e.step,
            }
            async with httpx.AsyncClient(timeout=self.settings.webhook_timeout) as client:
                response = await client.post(step.url, json=body)
            response.raise_for_status()  # a failure retries the job (at least once)
        return step.next

    async def _send(
        self, session: AsyncSession, e: Enrollment, journey: Journey, step: Any
    ) -> None:
        step_id = str(e.step)
        if await repo.sent(session, e.id, step_id):
            return
        contact = await session.scalar(
            select(C).where(C.tenant_id == e.tenant_id, C.id == e.contact_id)
        )
        if contact is None or not contact.email:
            return
        message_id = e.id  # one email step per enrollment id and step: the pair is the key
        to = Addressee(e.tenant_id, e.contact_id, message_id, None, contact_context(contact))
        outgoing = render(
            Content(step.subject, step.html, step.text),
            to,
            links=self.links,
            sender=self.settings.mail_from,
            campaign_name=journey.name,
            purpose=step.purpose,
        )
        subject = str(outgoing.message["Subject"])
        sessions = sessions_of(session)

        async def commit() -> None:
            async with sessions.begin() as s:
                reason = await consent.refusal_for(
                    s, e.tenant_id, e.contact_id, "email", step.purpose
                )
                if reason is not None:
                    raise Refused(reason)
                if not await repo.record_send(s, e.id, step_id, message_id):
                    raise Refused("already_sent")
                await touchpoints.record(
                    s,
                    e.tenant_id,
                    e.contact_id,
                    "email_sent",
                    name=subject,
                    channel="email",
                    message_id=message_id,
                    source=f"journey:{journey.id}",
                )
                data = EmailSent(
                    message_id=message_id,
                    subject=subject,
                    to=contact.email or "",
                    contact_id=e.contact_id,
                )
                await emit(
                    s,
                    SOURCE.event(
                        "crm.marketing.email.sent.v1",
                        data,
                        tenant_id=e.tenant_id,
                        subject=message_id,
                    ),
                )

        try:
            async with self.channel.session() as channel:
                await channel.send(outgoing, commit)
        except Refused as refused:
            log.info(
                "journey %s step %s not sent to %s: %s", journey.id, step_id, e.contact_id, refused
            )
        except MailRejected as rejected:
            if not rejected.permanent:
                raise  # retried by the job
            log.info(
                "journey %s step %s bounced for %s: %s", journey.id, step_id, e.contact_id, rejected
            )

    async def _complete(self, session: AsyncSession, e: Enrollment) -> None:
        e.status = "completed"
        data = JourneyCompleted(
            journey_id=e.journey_id, contact_id=e.contact_id, enrollment_id=e.id
        )
        await emit(
            session,
            SOURCE.event(
                "crm.marketing.journey.completed.v1",
                data,
                tenant_id=e.tenant_id,
                subject=e.journey_id,
            ),
        )
