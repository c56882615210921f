"""The webhook dispatcher: its own process, consuming the ``CRM`` stream into deliveries
and running them as jobs (``uvicorn --factory crm_gateway.dispatcher:create_app``; it
serves only health and metrics). Any number of replicas may run: the consumer is durable
and shared, and jobs are claimed with ``SKIP LOCKED``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from crm_chassis.app import create_service_app
from crm_chassis.jobs import JobRunner
from fastapi import APIRouter, FastAPI

from crm_gateway.settings import GatewaySettings
from crm_gateway.webhooks.delivery import Deliverer
from crm_gateway.webhooks.dispatch import WEBHOOKS
from crm_gateway.webhooks.sender import Sender
from crm_gateway.webhooks.service import DELIVER


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    sender = Sender(timeout=settings.webhook_timeout_seconds)

    deliverer = Deliverer(sender, delays=settings.webhook_retry_delays)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The chassis runs one job runner, one job at a time; a receiver's latency would
        # bound the dispatch rate, so more runners share the claims (SKIP LOCKED).
        extra = [
            asyncio.create_task(
                JobRunner(app.state.sessions, {DELIVER: deliverer}, batch_size=2).run()
            )
            for _ in range(settings.webhook_workers - 1)
            if settings.run_background
        ]
        try:
            yield
        finally:
            for task in extra:
                task.cancel()
            await asyncio.gather(*extra, return_exceptions=True)
            await sender.close()

    return create_service_app(
        name="crm-webhooks",
        settings=settings,
        routers=[APIRouter(lifespan=lifespan)],
        consumers=[WEBHOOKS],
        job_handlers={DELIVER: deliverer},
        idempotency=False,
    )
