"""Sending a campaign (M2): jobs that take the audience, send throttled, pick A/B winners.

- ``campaign.start`` (at the scheduled time): the audience is taken, split for an A/B
  test, and the first sender run is scheduled.
- ``campaign.send``: one run sends for ``send_chunk_seconds`` then hands over to the
  next run. Each run first schedules its successor ``send_takeover_seconds`` ahead and
  raises the campaign's ``send_generation``: if its process dies, the successor resumes
  the campaign then (a job's own lease would wait minutes); a run that finds another
  generation in charge stops.
- ``campaign.pick_winner``: after an A/B test's wait, the best variant by open or click
  rate goes to the held rest of the audience.

Per recipient: claimed (``sending``), consent checked and the send recorded (``sent``,
touchpoint, ``email.sent``) in one transaction that the email channel runs just before
the message's final dot (see :mod:`marketing_service.delivery.email`), so a crash at any
point sends nobody a second copy. A refusal (consent, unsubscribe, do-not-contact) is
``skipped``; a 5xx answer a bounce (suppressed from then on); a 4xx a retry with backoff.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from typing import Any
from uuid import UUID

from crm_chassis import jobs
from crm_chassis.jobs import Job, JobHandler
from crm_chassis.mail import MailRejected
from crm_chassis.orm import utcnow
from crm_chassis.outbox import emit
from crm_proto.events.activity import EmailSent
from crm_proto.events.marketing import CampaignCompleted, CampaignWinnerPicked, EmailBounced
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from marketing_service.campaigns import abtest, recipients
from marketing_service.campaigns.models import Campaign
from marketing_service.campaigns.rendering import Addressee, Content, Links, contact_context, render
from marketing_service.consent import service as consent
from marketing_service.delivery.channel import Channel
from marketing_service.delivery.email import EmailChannel
from marketing_service.events import SOURCE
from marketing_service.settings import MarketingSettings
from marketing_service.tracking import touchpoints

log = logging.getLogger("crm.marketing.sender")

START, SEND, PICK_WINNER = "campaign.start", "campaign.send", "campaign.pick_winner"


class Refused(Exception):
    """The send may not go (consent, or the claim is no longer this run's)."""


def sessions_of(session: AsyncSession) -> async_sessionmaker[AsyncSession]:
    """Sessions on the job's engine, for the short transactions of each send."""
    return async_sessionmaker(session.bind, expire_on_commit=False, autoflush=False)


def _send_key(campaign_id: UUID, generation: int) -> str:
    return f"campaign-send:{campaign_id}:{generation}"


async def schedule_send(
    session: AsyncSession, campaign: Campaign, generation: int, delay: float
) -> None:
    """The run of ``generation`` in ``delay`` seconds (moved there if already pending)."""
    await jobs.schedule(
        session,
        kind=SEND,
        due_at=utcnow() + timedelta(seconds=delay),
        payload={"campaign_id": str(campaign.id), "generation": generation},
        tenant_id=campaign.tenant_id,
        dedupe_key=_send_key(campaign.id, generation),
        replace=True,
    )


async def start(session: AsyncSession, job: Job) -> None:
    campaign = await _locked(session, UUID(job.payload["campaign_id"]))
    if campaign is None or campaign.status != "scheduled":
        return
    await recipients.take_audience(session, campaign)
    test = campaign.ab_test
    if test:
        names = [v["name"] for v in test["variants"]]
        await recipients.split_for_test(session, campaign.id, names, test["fraction"])
        await jobs.schedule(
            session,
            kind=PICK_WINNER,
            tenant_id=campaign.tenant_id,
            due_at=utcnow() + timedelta(seconds=test["wait_seconds"]),
            payload={"campaign_id": str(campaign.id)},
            dedupe_key=f"campaign-winner:{campaign.id}",
        )
    campaign.status, campaign.started_at = "sending", utcnow()
    await session.flush()
    await schedule_send(session, campaign, campaign.send_generation, 0)


async def _locked(session: AsyncSession, campaign_id: UUID) -> Campaign | None:
    """The campaign, locked without waiting: a job holds its own row, and a request that
    holds the campaign's may be waiting for that row (rescheduling), so waiting here could
    deadlock. A campaign locked now fails the attempt, retried by the job runner."""
    return await session.get(Campaign, campaign_id, with_for_update={"nowait": True})


def _content(campaign: Campaign, variant: str | None) -> Content:
    for v in (campaign.ab_test or {}).get("variants", []):
        if v["name"] == variant:
            return Content(v["subject"], v.get("html"), v.get("text"))
    return Content(campaign.subject, campaign.html, campaign.text)


class Sender:
    """One run of a campaign's sender."""

    def __init__(self, settings: MarketingSettings, channel: Channel) -> None:
        self.settings = settings
        self.channel = channel
        self.links = Links(settings.public_base_url, settings.signing_secret.get_secret_value())

    async def run(self, session: AsyncSession, job: Job) -> None:
        sessions = sessions_of(session)
        campaign_id, generation = UUID(job.payload["campaign_id"]), int(job.payload["generation"])
        async with sessions.begin() as s:
            campaign = await s.get(Campaign, campaign_id, with_for_update=True)
            if campaign is None or campaign.status != "sending":
                return
            if campaign.send_generation != generation:
                return  # a later run is in charge
            mine = generation + 1
            await s.execute(
                update(Campaign).where(Campaign.id == campaign_id).values(send_generation=mine)
            )
            await schedule_send(s, campaign, mine, self.settings.send_takeover_seconds)
        more = await self._send_for_a_while(sessions, campaign, mine)
        async with sessions.begin() as s:
            current = await s.get(Campaign, campaign_id, with_for_update=True)
            if current is None or current.send_generation != mine:
                return
            if more:
                await schedule_send(s, campaign, mine, 0)
                return
            counts = await recipients.counts(s, campaign_id)
            if counts.get(recipients.PENDING) or counts.get(recipients.SENDING):
                return  # retries not yet due, or claims a crashed run left: the successor
            key = _send_key(campaign_id, mine)
            await jobs.cancel(s, tenant_id=campaign.tenant_id, dedupe_key=key)
            if counts.get(recipients.HELD):
                return  # the A/B winner's pick schedules the rest
            current.status, current.completed_at = "sent", utcnow()
            await s.flush()
            data = CampaignCompleted(
                campaign_id=campaign_id,
                sent=counts.get("sent", 0),
                skipped=counts.get("skipped", 0),
                bounced=counts.get("bounced", 0) + counts.get("complained", 0),
                failed=counts.get("failed", 0),
            )
            await emit(
                s,
                SOURCE.event(
                    "crm.marketing.campaign.completed.v1",
                    data,
                    tenant_id=campaign.tenant_id,
                    subject=campaign_id,
                ),
            )

    async def _send_for_a_while(
        self, sessions: async_sessionmaker[AsyncSession], campaign: Campaign, generation: int
    ) -> bool:
        """Send until the chunk's time is up; whether recipients remain to send now."""
        deadline = time.monotonic() + self.settings.send_chunk_seconds
        interval = 1.0 / campaign.rate_per_second if campaign.rate_per_second else 0.0
        lease = timedelta(seconds=self.settings.send_takeover_seconds)
        next_at = time.monotonic()
        async with self.channel.session() as channel:
            while time.monotonic() < deadline:
                async with sessions.begin() as s:
                    still = await s.get(Campaign, campaign.id)
                    if (
                        still is None
                        or still.status != "sending"
                        or still.send_generation != generation
                    ):
                        return False
                    batch = await recipients.claim(s, campaign.id, self.settings.send_batch, lease)
                if not batch:
                    return False
                for row in batch:
                    if interval:
                        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                        next_at = max(next_at, time.monotonic() - 1.0) + interval
                    await self._deliver(sessions, channel, campaign, row)
        return True

    async def _deliver(self, sessions: Any, channel: Any, campaign: Campaign, row: Any) -> None:
        tenant_id = campaign.tenant_id
        if not row.email:
            async with sessions.begin() as s:
                await recipients.mark(s, row.id, "skipped", "no_address")
            return
        to = Addressee(tenant_id, row.contact_id, row.id, campaign.id, contact_context(row))
        outgoing = render(
            _content(campaign, row.variant),
            to,
            links=self.links,
            sender=self.settings.mail_from,
            campaign_name=campaign.name,
            channel=campaign.channel,
            purpose=campaign.purpose,
        )
        subject = str(outgoing.message["Subject"])

        async def commit() -> None:
            async with sessions.begin() as s:
                reason = await consent.refusal_for(
                    s, tenant_id, row.contact_id, campaign.channel, campaign.purpose
                )
                if reason is not None:
                    raise Refused(reason)
                if not await recipients.mark_sent(s, row.id):
                    raise Refused("claimed_elsewhere")
                await touchpoints.record(
                    s,
                    tenant_id,
                    row.contact_id,
                    "email_sent",
                    name=subject,
                    channel="email",
                    campaign_id=campaign.id,
                    message_id=row.id,
                )
                data = EmailSent(
                    message_id=row.id,
                    campaign_id=campaign.id,
                    subject=subject,
                    to=row.email,
                    contact_id=row.contact_id,
                )
                await emit(
                    s,
                    SOURCE.event(
                        "crm.marketing.email.sent.v1", data, tenant_id=tenant_id, subject=row.id
                    ),
                )

        try:
            await channel.send(outgoing, commit)
        except Refused as refused:
            if str(refused) != "claimed_elsewhere":
                async with sessions.begin() as s:
                    await recipients.mark(s, row.id, "skipped", str(refused))
        except MailRejected as rejected:
            async with sessions.begin() as s:
                await self._rejected(s, campaign, row, rejected)

    async def _rejected(
        self, s: AsyncSession, campaign: Campaign, row: Any, exc: MailRejected
    ) -> None:
        if exc.permanent:
            await bounce(
                s, campaign.tenant_id, row.id, row.contact_id, campaign.id, "hard", str(exc)
            )
        elif row.attempts >= self.settings.send_max_attempts:
            await recipients.mark(s, row.id, "failed", str(exc))
        else:
            retry_at = utcnow() + timedelta(seconds=min(2**row.attempts, 300))
            await recipients.mark(s, row.id, recipients.PENDING, str(exc), retry_at=retry_at)


async def bounce(
    s: AsyncSession,
    tenant_id: UUID,
    message_id: UUID,
    contact_id: UUID,
    campaign_id: UUID | None,
    kind: str,
    reason: str | None,
) -> None:
    """A bounce or complaint: the recipient's outcome, the address suppressed (hard
    bounce, complaint), the event."""
    status = "complained" if kind == "complaint" else "bounced"
    await recipients.mark(s, message_id, status, reason)
    if kind in ("hard", "complaint"):
        await consent.suppress_address(s, tenant_id, contact_id, "email", f"{status}")
    data = EmailBounced(
        message_id=message_id,
        campaign_id=campaign_id,
        contact_id=contact_id,
        kind=kind,
        reason=reason,
    )
    await emit(
        s,
        SOURCE.event(
            "crm.marketing.email.bounced.v1", data, tenant_id=tenant_id, subject=message_id
        ),
    )


async def pick_winner(session: AsyncSession, job: Job) -> None:
    campaign = await _locked(session, UUID(job.payload["campaign_id"]))
    if campaign is None or campaign.status != "sending" or not campaign.ab_test or campaign.winner:
        return
    test = campaign.ab_test
    names = [v["name"] for v in test["variants"]]
    rates = await recipients.variant_rates(session, campaign.id)
    metric = test.get("metric", "open")
    column = 1 if metric == "open" else 2
    outcome = abtest.pick({v: (r[column], r[0]) for v, r in rates.items()}, names)
    campaign.winner = outcome.winner
    await recipients.release_held(session, campaign.id, outcome.winner)
    await session.flush()
    await schedule_send(session, campaign, campaign.send_generation, 0)
    data = CampaignWinnerPicked(
        campaign_id=campaign.id,
        metric=metric,
        winner=outcome.winner,
        rates=outcome.rates,
        p_value=outcome.p_value,
    )
    await emit(
        session,
        SOURCE.event(
            "crm.marketing.campaign.winner_picked.v1",
            data,
            tenant_id=campaign.tenant_id,
            subject=campaign.id,
        ),
    )


def job_handlers(settings: MarketingSettings) -> dict[str, JobHandler]:
    sender = Sender(settings, EmailChannel(settings))
    return {START: start, SEND: sender.run, PICK_WINNER: pick_winner}
