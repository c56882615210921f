"""Self-service password reset: a user who forgot their password asks for a reset by
email, and gets a signed one-time token by mail (:mod:`crm_gateway.identity.passwords`).

The request answers 202 whether or not the address belongs to a user, so it tells no
one which addresses have accounts: for a user, it only schedules a job, in the same
transaction; the job (:class:`ResetMailer`) signs the token when it runs and sends it
through the chassis mailer, retried by the job runner when the relay is unreachable.
Requests per address are limited by a shared token bucket (every replica sees the same),
so nobody floods a mailbox with resets.
"""

from __future__ import annotations

import logging
import math
from email.message import EmailMessage
from uuid import UUID

from crm_chassis.errors import TooManyRequests
from crm_chassis.jobs import Job, schedule
from crm_chassis.mail import Mailer, MailRejected
from crm_chassis.orm import utcnow
from sqlalchemy.ext.asyncio import AsyncSession

from crm_gateway.identity.models import User
from crm_gateway.identity.passwords import reset_token
from crm_gateway.identity.repository import IdentityRepository
from crm_gateway.limits.buckets import Buckets, Policy
from crm_gateway.settings import GatewaySettings

log = logging.getLogger("crm.gateway.identity")
RESET_MAIL = "identity.password_reset_mail"
"""The job kind: send a reset token to a user."""


def policy(settings: GatewaySettings) -> Policy:
    """Reset mails one address may ask for per window (its bucket's burst)."""
    return Policy("password-reset", settings.password_reset_per_email, 3600.0)


async def request_reset(
    *, session: AsyncSession, buckets: Buckets, settings: GatewaySettings, email: str
) -> None:
    """Take a token of ``email``'s bucket (429 when it is empty, whether or not the address
    has an account), then schedule the mail if a user has this address."""
    taken = await buckets.take(policy(settings), email.strip().lower())
    if not taken.allowed:
        retry = str(max(1, math.ceil(taken.retry_after)))
        raise TooManyRequests(
            "Too many password resets asked for this address", headers={"Retry-After": retry}
        )
    user = await IdentityRepository(session).user_by_email(email.strip())
    if user is None or user.disabled_at is not None:
        return
    await schedule(
        session,
        kind=RESET_MAIL,
        due_at=utcnow(),
        payload={"user": str(user.id)},
        tenant_id=user.tenant_id,
    )


def message(settings: GatewaySettings, user: User, token: str) -> EmailMessage:
    minutes = settings.password_reset_ttl_seconds // 60
    mail = EmailMessage()
    mail["To"] = user.email
    mail["Subject"] = "Reset your CRM password"
    link = settings.password_reset_link.format(token=token) if settings.password_reset_link else ""
    lines = [
        "Someone (hopefully you) asked to reset the password of this CRM account.",
        "",
        *(
            [f"Choose a new password here: {link}", ""]
            if link
            else [
                "Send this token with your new password to POST /v1/auth/password-reset/confirm:",
                "",
            ]
        ),
        f"Reset token: {token}",
        "",
        f"It works once, within {minutes} minutes. If you did not ask, ignore this mail:",
        "your password stays as it is.",
    ]
    mail.set_content("\n".join(lines) + "\n")
    return mail


class ResetMailer:
    """The job handler of :data:`RESET_MAIL`."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.mailer = Mailer(settings)

    async def __call__(self, session: AsyncSession, job: Job) -> None:
        user = await session.get(User, UUID(job.payload["user"]))
        if user is None or user.disabled_at is not None:
            return
        token = reset_token(
            user.id,
            user.password_hash,
            secret=self.settings.jwt_secret,
            ttl_seconds=self.settings.password_reset_ttl_seconds,
        )
        try:
            await self.mailer.send(message(self.settings, user, token))
        except MailRejected as exc:
            if not exc.permanent:
                raise  # the relay is away: the job runner tries again later
            log.warning("password reset mail to user %s bounced: %s", user.id, exc)
