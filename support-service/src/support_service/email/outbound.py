"""Agents' public replies on the email channel, sent over SMTP by a job.

The reply's Message-ID is fixed when it is queued, and it carries ``In-Reply-To`` and
``References`` of the thread and ``[#number]`` in the subject, so the customer's answer
threads back onto the ticket whichever of them their mail client keeps.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from uuid import UUID

from crm_chassis import jobs
from crm_chassis.auth import Actor
from crm_chassis.crud import Call
from crm_chassis.jobs import Job, JobHandler
from crm_chassis.mail import Mailer, MailRejected
from sqlalchemy.ext.asyncio import AsyncSession

from support_service.tickets.models import Ticket, TicketMessage
from support_service.tickets.repository import TicketMessageRepository, TicketRepository

SEND_JOB = "support.reply.send"
log = logging.getLogger("crm.support.mail")


async def queue_reply(call: Call, ticket: Ticket, message: TicketMessage) -> None:
    domain = getattr(call.settings, "mail_domain", None) or "support.crm.local"
    message.message_id = make_msgid(domain=domain)
    message.delivery = "queued"
    await jobs.schedule(
        call.session, kind=SEND_JOB, tenant_id=call.tenant_id,
        due_at=message.created_at, payload={"message_id": str(message.id)},
        dedupe_key=f"{SEND_JOB}:{message.id}",
    )  # fmt: skip


def compose(
    ticket: Ticket, reply: TicketMessage, thread: list[TicketMessage], sender: str
) -> EmailMessage:
    ids = [m.message_id for m in thread if m.message_id and m.id != reply.id]
    answered = [m.message_id for m in thread if m.author == "customer" and m.message_id]
    subject = (
        ticket.subject if ticket.subject.lower().startswith("re:") else f"Re: {ticket.subject}"
    )
    email = EmailMessage()
    email["From"] = sender
    email["To"] = ticket.requester_email
    email["Subject"] = f"{subject} [#{ticket.number}]"
    email["Message-ID"] = reply.message_id
    if answered:
        email["In-Reply-To"] = answered[-1]
    if ids:
        email["References"] = " ".join(ids)
    email.set_content(reply.body)
    return email


def job_handlers(settings: Any) -> dict[str, JobHandler]:
    mailer = Mailer(settings)

    async def send_reply(session: AsyncSession, job: Job) -> None:
        assert job.tenant_id is not None
        actor = Actor.system(job.tenant_id)
        messages = TicketMessageRepository(session, actor)
        reply = await messages.get(UUID(job.payload["message_id"]))
        if reply is None or reply.delivery != "queued":
            return
        ticket = await TicketRepository(session, actor).get(reply.ticket_id)
        if ticket is None or not ticket.requester_email:
            return
        thread = await messages.of(ticket.id, public_only=True)
        try:
            await mailer.send(compose(ticket, reply, thread, settings.mail_from))
        except MailRejected as exc:
            if not exc.permanent:
                raise  # retried by the job runner with backoff
            log.warning("reply %s bounced: %s", reply.id, exc)
            reply.delivery = "failed"
            return
        reply.delivery = "sent"

    return {SEND_JOB: send_reply}
