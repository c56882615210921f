"""CSAT/NPS surveys (V8): opened when a ticket is solved, answered once through a signed
link that needs no login."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from crm_chassis.auth import Actor
from crm_chassis.crud import Call
from crm_chassis.errors import Conflict, NotFound
from crm_chassis.orm import utcnow
from crm_chassis.outbox import emit
from crm_proto.events import support
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from support_service import signed_links
from support_service.csat.models import Survey
from support_service.csat.schemas import SurveyAnswer
from support_service.events import SOURCE
from support_service.tickets.models import Ticket

PURPOSE = "support-survey"
TTL = timedelta(days=30)


async def request_survey(call: Call, ticket: Ticket) -> Survey | None:
    """Open the ticket's survey when it is first solved (and say so in an event).

    Links are signed with the platform secret, so only a call that has the app's settings
    (a request, not a job) opens one."""
    if call.settings is None:
        return None
    stmt = select(Survey).where(Survey.tenant_id == call.tenant_id, Survey.ticket_id == ticket.id)
    if (await call.session.execute(stmt)).scalar_one_or_none() is not None:
        return None
    survey = Survey(tenant_id=call.tenant_id, ticket_id=ticket.id, channel=ticket.channel)
    call.session.add(survey)
    await call.session.flush()
    secret = call.settings.jwt_secret
    token = signed_links.sign(secret, PURPOSE,
                              {"t": str(call.tenant_id), "s": str(survey.id)}, TTL)  # fmt: skip
    data = support.SurveyRequested(
        survey_id=survey.id, ticket_id=ticket.id, contact_id=ticket.requester_id,
        requester_email=ticket.requester_email, path=f"/v1/surveys/{token}",
        expires_at=utcnow() + TTL,
    )  # fmt: skip
    await emit(
        call.session,
        SOURCE.event(
            "crm.support.survey.requested.v1", data, tenant_id=call.tenant_id, subject=ticket.id
        ),
    )
    if ticket.channel == "email" and ticket.requester_email:
        from support_service.csat.mail import queue_survey_mail

        await queue_survey_mail(call, ticket, data.path)
    return survey


async def open_link(session: AsyncSession, secret: str, token: str) -> tuple[Survey, Ticket]:
    claims = signed_links.verify(secret, PURPOSE, token)
    tenant = UUID(claims["t"])
    stmt = (
        select(Survey, Ticket)
        .join(Ticket, Ticket.id == Survey.ticket_id)
        .where(Survey.tenant_id == tenant, Survey.id == UUID(claims["s"]))
        .with_for_update(of=Survey)
    )
    row = (await session.execute(stmt)).first()
    if row is None:
        raise NotFound("No such survey")
    return row[0], row[1]


async def answer(session: AsyncSession, secret: str, token: str, data: SurveyAnswer) -> Any:
    survey, ticket = await open_link(session, secret, token)
    if survey.answered_at is not None:
        raise Conflict("This survey was already answered")
    survey.rating, survey.nps, survey.comment = data.rating, data.nps, data.comment
    survey.answered_at = utcnow()
    payload = support.SurveyAnswered(
        survey_id=survey.id, ticket_id=ticket.id, contact_id=ticket.requester_id,
        account_id=ticket.organisation_id, assignee_id=ticket.owner_id, rating=data.rating,
        nps=data.nps, comment=data.comment,
    )  # fmt: skip
    actor = Actor.system(ticket.tenant_id)
    await emit(session, SOURCE.event("crm.support.survey.answered.v1", payload,
                                     tenant_id=actor.tenant_id, subject=ticket.id))  # fmt: skip
    return survey, ticket
