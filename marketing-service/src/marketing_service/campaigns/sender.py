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

Per batch of recipients: claimed (``sending``), their consent checked in one query (the
refused ones ``skipped``), each remembering the version of its contact's row it was read
at. Their messages go over ``CONNECTIONS`` SMTP connections; each send is decided just
before its message's final dot (see :mod:`marketing_service.delivery.email`) by one
autocommit statement that makes it ``sent`` only if the claim is still this run's, the
contact's row is still at that version and no suppression came since (the decisions of
the connections waiting at that moment share the statement); anything else gets the full
check with the contact's row held. So a crash at any point sends nobody a second copy,
and a consent change, unsubscribe, bounce or complaint that commits before a send's
decision stops it. A sent recipient is marked ``unrecorded`` until its touchpoint and
``email.sent`` are written, a batch at a time (after a crash, by the next run). A 5xx
answer is a bounce (suppressed from then on); a 4xx a retry with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any
from uuid import UUID

from crm_chassis import jobs
from crm_chassis.jobs import Job, JobHandler
from crm_chassis.mail import MailRejected
from crm_chassis.orm import utcnow
from crm_chassis.outbox import emit, emit_many
from crm_proto.events.activity import EmailSent
from crm_proto.events.marketing import CampaignCompleted, CampaignWinnerPicked, EmailBounced
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from marketing_service.campaigns import abtest, recipients
from marketing_service.campaigns.models import Campaign
from marketing_service.campaigns.rendering import Addressee, Content, Links, contact_context, render
from marketing_service.consent import service as consent
from marketing_service.contacts import projection
from marketing_service.delivery.channel import Channel, ChannelSession
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


CONNECTIONS = 8
"""How many SMTP connections one sender run sends over at once."""


class _Pace:
    """The campaign's rate, shared by a run's connections: each send takes the next slot
    (after an idle spell, up to a second's worth may go at once)."""

    def __init__(self, per_second: int) -> None:
        self.interval = 1.0 / per_second if per_second else 0.0
        self.next_at = time.monotonic()

    async def turn(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        at = max(self.next_at, now - 1.0)
        self.next_at = at + self.interval
        if at > now:
            await asyncio.sleep(at - now)


class _Decisions:
    """The statements that decide sends, on one autocommit connection of the run's: the
    sends of every connection waiting at their end of data at that moment are decided by
    one statement (one round trip, one commit; each row decided on its own)."""

    def __init__(self, engine: AsyncEngine, campaign: Campaign) -> None:
        self.engine = engine
        self.channel, self.purpose = campaign.channel, campaign.purpose
        self.waiting: list[tuple[recipients.Decision, asyncio.Future[bool]]] = []
        self.wake = asyncio.Event()

    async def decide(self, decision: recipients.Decision) -> bool:
        """Whether the send was decided (sent); if not, it needs the full check."""
        future = asyncio.get_running_loop().create_future()
        self.waiting.append((decision, future))
        self.wake.set()
        return await future

    @asynccontextmanager
    async def running(self) -> AsyncIterator[_Decisions]:
        async with self.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            task = asyncio.create_task(self._run(conn))
            try:
                yield self
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _run(self, conn: AsyncConnection) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.waiting:
                taken, self.waiting = self.waiting, []
                try:
                    done = await recipients.mark_sent_unchanged(
                        conn, [d for d, _ in taken], self.channel, self.purpose
                    )
                except Exception as exc:
                    for _, future in taken:
                        future.set_exception(exc)
                    continue
                for decision, future in taken:
                    future.set_result(decision.recipient_id in done)


class Sender:
    """One run of a campaign's sender."""

    def __init__(
        self, settings: MarketingSettings, channel: Channel, *, connections: int = CONNECTIONS
    ) -> None:
        self.settings = settings
        self.channel = channel
        self.connections = connections
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
        engine = session.bind
        assert isinstance(engine, AsyncEngine)
        more = await self._send_for_a_while(engine, sessions, campaign, mine)
        async with sessions.begin() as s:
            current = await s.get(Campaign, campaign_id, with_for_update=True)
            if current is None or current.send_generation != mine:
                return
            if more:
                await schedule_send(s, campaign, mine, 0)
                return
            await record_sends(s, campaign, wait=True)
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
        self,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        campaign: Campaign,
        generation: int,
    ) -> bool:
        """Send until the chunk's time is up; whether recipients remain to send now.

        A batch at a time: claimed, its consent checked in one query (the refused ones
        skipped), sent over the run's connections, then its touchpoints and events
        written in one transaction. The next batch is claimed while one is sent, and a
        batch recorded while the next is sent, so the connections do not wait for
        either (a batch claimed is always sent, even past the deadline)."""
        deadline = time.monotonic() + self.settings.send_chunk_seconds
        pace = _Pace(campaign.rate_per_second)
        lease = timedelta(seconds=self.settings.send_takeover_seconds)
        async with contextlib.AsyncExitStack() as stack:
            lanes = [
                await stack.enter_async_context(self.channel.session())
                for _ in range(max(1, self.connections))
            ]
            decisions = await stack.enter_async_context(_Decisions(engine, campaign).running())
            claiming = asyncio.create_task(self._claim(sessions, campaign, generation, lease))
            recording: asyncio.Task[None] | None = None
            try:
                while True:
                    claimed = await claiming
                    if claimed is None:
                        return False  # stopped, or nothing left to send now
                    queue = deque(claimed)
                    # A connection's failure does not cut the others off mid-message.
                    sending = asyncio.gather(
                        *(
                            self._lane(sessions, decisions, channel, campaign, queue, pace)
                            for channel in lanes
                        ),
                        return_exceptions=True,
                    )
                    more = time.monotonic() < deadline
                    if more:
                        claiming = asyncio.create_task(
                            self._claim(sessions, campaign, generation, lease)
                        )
                    outcomes = await sending
                    if recording is not None:
                        await recording
                    recording = asyncio.create_task(self._record(sessions, campaign))
                    failures = [o for o in outcomes if isinstance(o, BaseException)]
                    if failures:
                        raise failures[0]
                    if not more:
                        return True
            finally:
                if not claiming.done():
                    await asyncio.wait([claiming])  # claimed and not sent: the lease frees it
                if not claiming.cancelled():
                    claiming.exception()
                if recording is not None:
                    await recording

    async def _claim(
        self,
        sessions: async_sessionmaker[AsyncSession],
        campaign: Campaign,
        generation: int,
        lease: timedelta,
    ) -> list[Any] | None:
        """The next batch's recipients consent allows (the others skipped: maybe none);
        None when there is none to claim now or the campaign is no longer this run's."""
        async with sessions.begin() as s:
            still = await s.get(Campaign, campaign.id)
            if still is None or still.status != "sending" or still.send_generation != generation:
                return None
            batch = await recipients.claim(s, campaign.id, self.settings.send_batch, lease)
            if not batch:
                return None
            return await _allowed(s, campaign, batch)

    async def _record(self, sessions: async_sessionmaker[AsyncSession], campaign: Campaign) -> None:
        async with sessions.begin() as s:
            await record_sends(s, campaign)

    async def _lane(
        self,
        sessions: async_sessionmaker[AsyncSession],
        decisions: _Decisions,
        channel: ChannelSession,
        campaign: Campaign,
        queue: deque[Any],
        pace: _Pace,
    ) -> None:
        """One connection's sends: the batch's next recipient until none is left."""
        while queue:
            row = queue.popleft()
            await pace.turn()
            await self._deliver(sessions, decisions, channel, campaign, row)

    async def _deliver(
        self,
        sessions: async_sessionmaker[AsyncSession],
        decisions: _Decisions,
        channel: ChannelSession,
        campaign: Campaign,
        row: Any,
    ) -> None:
        context = contact_context(row)
        to = Addressee(campaign.tenant_id, row.contact_id, row.id, campaign.id, context)
        outgoing = render(
            _content(campaign, row.variant),
            to,
            links=self.links,
            sender=self.settings.mail_from,
            campaign_name=campaign.name,
            channel=campaign.channel,
            purpose=campaign.purpose,
        )
        decision = recipients.Decision(
            row.id, row.contact_id, row.version, str(outgoing.message["Subject"]), row.email
        )

        async def commit() -> None:
            if not await decisions.decide(decision):
                await _decide_checked(sessions, campaign, decision)

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


async def _allowed(s: AsyncSession, campaign: Campaign, batch: list[Any]) -> list[Any]:
    """The claimed recipients consent allows now (one query for the batch); the others
    are skipped with the reason. Each allowed send is decided again at its end of data,
    against the version of its contact's row read here (:func:`_decide_checked`)."""
    refusals = await consent.refusals_for(
        s,
        campaign.tenant_id,
        [row.contact_id for row in batch],
        campaign.channel,
        campaign.purpose,
    )
    allowed, refused = [], []
    for row in batch:
        reason = refusals[row.contact_id]
        if reason is None and not row.email:
            reason = "no_address"
        if reason is None:
            allowed.append(row)
        else:
            refused.append((row.id, "skipped", reason))
    await recipients.mark_many(s, refused)
    return allowed


async def _decide_checked(
    sessions: async_sessionmaker[AsyncSession], campaign: Campaign, decision: recipients.Decision
) -> None:
    """The full decision of one send whose contact changed since its batch was checked (or
    whose claim is gone): consent read again with the contact's row held, then the mark.
    Raises :class:`Refused` when the send may not go."""
    async with sessions.begin() as s:
        reason = await consent.refusal_for(
            s, campaign.tenant_id, decision.contact_id, campaign.channel, campaign.purpose
        )
        if reason is not None:
            raise Refused(reason)
        if not await recipients.mark_sent(s, decision):
            raise Refused("claimed_elsewhere")


async def record_sends(s: AsyncSession, campaign: Campaign, *, wait: bool = False) -> int:
    """The touchpoints and ``email.sent`` events of the campaign's sends not yet recorded
    (this run's, or a crashed run's), in the caller's transaction; how many.

    A touch of a contact merged away since its send goes to the survivor, as the merge
    moved the others (the contacts' rows are held so a merge running now waits)."""
    rows = await recipients.take_unrecorded(s, campaign.id, wait=wait)
    if not rows:
        return 0
    merged = await projection.survivors(
        s, campaign.tenant_id, sorted({row.contact_id for row in rows})
    )
    touches, events = [], []
    for row in rows:
        survivor = merged.get(row.contact_id)
        subject, to = row.unrecorded["subject"], row.unrecorded["to"]
        touches.append(
            {
                "tenant_id": row.tenant_id,
                "contact_id": survivor or row.contact_id,
                "original_contact_id": row.contact_id if survivor else None,
                "kind": "email_sent",
                "name": subject,
                "channel": "email",
                "campaign_id": campaign.id,
                "message_id": row.id,
                "properties": {},
                "occurred_at": row.sent_at,
                "source": None,
            }
        )
        data = EmailSent(
            message_id=row.id,
            campaign_id=campaign.id,
            subject=subject,
            to=to,
            contact_id=row.contact_id,
        )
        events.append(
            SOURCE.event(
                "crm.marketing.email.sent.v1", data, tenant_id=row.tenant_id, subject=row.id
            )
        )
    await touchpoints.record_many(s, touches)
    await emit_many(s, events)
    return len(rows)


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
