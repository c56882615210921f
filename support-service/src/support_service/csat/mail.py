"""The survey link emailed to the requester of an email ticket, by a job (retried when
the relay is briefly unavailable, dropped on a bounce)."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from typing import Any
from uuid import UUID

from crm_chassis import jobs
from crm_chassis.crud import Call
from crm_chassis.jobs import Job, JobHandler
from crm_chassis.mail import Mailer, MailRejected
from crm_chassis.templates import compile_template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from support_service.tickets.models import Ticket

SURVEY_JOB = "support.survey.send"
log = logging.getLogger("crm.support.mail")
BODY = compile_template(
    "Hello {{ name | default('there') }},\n\n"
    "your request #{{ number }} ({{ subject }}) was solved. How did we do?\n"
    "Rate us in one click: {{ link }}\n\nThank you!\n",
    html=False,
)


async def queue_survey_mail(call: Call, ticket: Ticket, path: str) -> None:
    await jobs.schedule(
        call.session, kind=SURVEY_JOB, tenant_id=call.tenant_id,
        due_at=ticket.solved_at or ticket.updated_at,
        payload={"ticket_id": str(ticket.id), "path": path},
        dedupe_key=f"{SURVEY_JOB}:{ticket.id}",
    )  # fmt: skip


def job_handlers(settings: Any) -> dict[str, JobHandler]:
    mailer = Mailer(settings)

    async def send_survey(session: AsyncSession, job: Job) -> None:
        stmt = select(Ticket).where(
            Ticket.tenant_id == job.tenant_id, Ticket.id == UUID(job.payload["ticket_id"])
        )
        ticket = (await session.execute(stmt)).scalar_one_or_none()
        if ticket is None or not ticket.requester_email:
            return
        message = EmailMessage()
        message["From"] = settings.mail_from
        message["To"] = ticket.requester_email
        message["Subject"] = f"How did we do? [#{ticket.number}]"
        link = settings.public_url.rstrip("/") + job.payload["path"]
        message.set_content(BODY.render(
            {"number": ticket.number, "subject": ticket.subject, "link": link}
        ))  # fmt: skip
        try:
            await mailer.send(message)
        except MailRejected as exc:
            if not exc.permanent:
                raise
            log.warning("survey mail for ticket %s bounced: %s", ticket.id, exc)

    return {SURVEY_JOB: send_survey}
