"""Prometheus metrics of every process, served at ``/metrics``."""

from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HTTP_REQUESTS = Counter(
    "crm_http_requests_total", "HTTP requests", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "crm_http_request_duration_seconds", "HTTP request latency", ["service", "method", "route"]
)
OUTBOX_PUBLISHED = Counter("crm_outbox_published_total", "Outbox events published to NATS")
OUTBOX_LAG = Gauge(
    "crm_outbox_lag_seconds",
    "Age of the oldest event in the relay's last batch (0: nothing was waiting)",
)
CONSUMER_PENDING = Gauge(
    "crm_consumer_pending_messages",
    "Messages the stream still holds for the consumer after its last batch",
    ["consumer"],
)
CONSUMER_LAG = Gauge(
    "crm_consumer_lag_seconds",
    "Age of the newest event in the consumer's last batch (0: it is caught up)",
    ["consumer"],
)
EVENTS_CONSUMED = Counter(
    "crm_events_consumed_total", "Events handled by consumers", ["consumer", "outcome"]
)
JOBS_RUN = Counter("crm_jobs_total", "Jobs run", ["kind", "outcome"])
JOBS_FAILED = Gauge(
    "crm_jobs_failed",
    "Jobs kept as failed after their last attempt (the admin lists them)",
    ["kind"],
)


class MetricsMiddleware:
    """Counts and times every request by its route template (never the raw path)."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            method = scope["method"]
            HTTP_REQUESTS.labels(self.service, method, template, str(status)).inc()
            HTTP_LATENCY.labels(self.service, method, template).observe(time.perf_counter() - start)


async def metrics_endpoint(_: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
