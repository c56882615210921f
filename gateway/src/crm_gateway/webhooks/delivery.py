"""One attempt of a delivery, run as a job by the dispatcher.

The attempt, its log row, the delivery's new state and the next attempt's job commit
together with the job's done mark, so a crash repeats at most the one attempt (and the
receiver de-duplicates it by ``webhook-id``). A 2xx delivers; 410 Gone disables the
subscription at once; anything else (another status, no answer, a refused address) is
retried on :mod:`~crm_gateway.webhooks.schedule`'s backoff, and when the last attempt
fails the subscription is disabled: both disablings emit ``crm.gateway.webhook.disabled``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from uuid import UUID

from crm_chassis.jobs import Job
from crm_chassis.orm import utcnow
from crm_chassis.outbox import emit
from crm_proto.events import gateway
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from crm_gateway.webhooks.models import Attempt, Delivery, Webhook
from crm_gateway.webhooks.repository import DeliveryRepository
from crm_gateway.webhooks.schedule import DELAYS, next_delay
from crm_gateway.webhooks.sender import Outcome, Sender
from crm_gateway.webhooks.service import EVENTS, SOURCE, _schedule, active_secrets, allows_private
from crm_gateway.webhooks.signing import headers as signed_headers

log = logging.getLogger("crm.gateway.webhooks")
OUTCOMES = Counter(
    "crm_gateway_webhook_deliveries_total", "Webhook delivery attempts by outcome", ["outcome"]
)
USER_AGENT = "crm-webhooks/1.0"


class Deliverer:
    """The job handler of ``webhook.deliver``."""

    def __init__(self, sender: Sender, *, delays: Sequence[float] = DELAYS) -> None:
        self.sender = sender
        self.delays = tuple(delays)

    async def __call__(self, session: AsyncSession, job: Job) -> None:
        repo = DeliveryRepository(session)
        delivery = await repo.for_update(UUID(job.payload["delivery"]))
        if delivery is None or delivery.state != "pending":
            return
        # Not locked: the consumer holds key-share locks on it while it queues deliveries;
        # a concurrent change of the subscription fails the version check instead.
        webhook = await session.get(Webhook, delivery.webhook_id)
        if webhook is None or webhook.disabled_at is not None:
            delivery.state, delivery.next_attempt_at = "failed", None
            return
        outcome = await self._send(session, webhook, delivery)
        delivery.attempts += 1
        if outcome.ok:
            delivery.state, delivery.delivered_at = "delivered", utcnow()
            delivery.next_attempt_at = None
            OUTCOMES.labels("delivered").inc()
        elif outcome.status == 410:
            delivery.state, delivery.next_attempt_at = "failed", None
            await _disable(session, webhook, "the endpoint answered 410 Gone")
            OUTCOMES.labels("gone").inc()
        else:
            delay = next_delay(delivery.attempts, self.delays)
            if delay is None:
                delivery.state, delivery.next_attempt_at = "failed", None
                reason = f"every attempt of delivery {delivery.id} failed"
                await _disable(session, webhook, reason)
                OUTCOMES.labels("exhausted").inc()
            else:
                delivery.next_attempt_at = utcnow() + delay
                await _schedule(session, delivery)
                OUTCOMES.labels("retry").inc()
        await session.flush()

    async def _send(self, session: AsyncSession, webhook: Webhook, delivery: Delivery) -> Outcome:
        body = json.dumps(delivery.event, separators=(",", ":")).encode()
        headers = {
            **signed_headers(active_secrets(webhook), str(delivery.id), int(time.time()), body),
            "content-type": "application/cloudevents+json",
            "user-agent": USER_AGENT,
        }
        outcome = await self.sender.post(
            webhook.url,
            body,
            headers,
            allow_private=await allows_private(session, webhook.tenant_id),
        )
        logged = {k: v for k, v in headers.items() if k != "webhook-signature"}
        await DeliveryRepository(session).add(
            Attempt(
                delivery_id=delivery.id,
                url=webhook.url,
                request_headers=logged,
                status=outcome.status,
                response_body=outcome.body,
                error=outcome.error,
                duration_ms=outcome.duration_ms,
            )
        )
        return outcome


async def _disable(session: AsyncSession, webhook: Webhook, reason: str) -> None:
    log.warning("webhook %s disabled: %s", webhook.id, reason)
    webhook.disabled_at, webhook.disabled_reason = utcnow(), reason
    await session.flush()
    data = gateway.WebhookDisabled(webhook=EVENTS.snapshot(webhook), reason=reason)
    event = SOURCE.event(
        "crm.gateway.webhook.disabled.v1",
        data,
        tenant_id=webhook.tenant_id,
        subject=webhook.id,
        sequence=webhook.version,
    )
    await emit(session, event)
