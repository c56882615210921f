"""The merged OpenAPI document: fetched from the services, cached briefly. Each fetch
also teaches the route table the services' resources."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from crm_gateway.openapi.merge import merge_documents
from crm_gateway.proxy.client import UpstreamClient
from crm_gateway.proxy.routes import RouteTable

log = logging.getLogger("crm.gateway.openapi")


class OpenApiAggregator:
    """Builds the platform's document from the gateway's own and every reachable service's."""

    def __init__(
        self,
        upstreams: UpstreamClient,
        *,
        ttl_seconds: float,
        fetch_timeout: float,
        routes: RouteTable | None = None,
        relearn_seconds: float = 5.0,
    ) -> None:
        self.upstreams = upstreams
        self.ttl_seconds = ttl_seconds
        self.fetch_timeout = fetch_timeout
        self.routes = routes or RouteTable()
        self.relearn_seconds = relearn_seconds
        self._cached: dict[str, Any] | None = None
        self._expires = 0.0
        self._learned_at = -relearn_seconds
        # One refresh at a time: a burst of /docs loads fetches the services once.
        self._lock = asyncio.Lock()

    async def document(self, own: dict[str, Any]) -> dict[str, Any]:
        """The merged document; services that do not answer are named, not fatal."""
        if self._cached is not None and time.monotonic() < self._expires:
            return self._cached
        async with self._lock:
            if self._cached is not None and time.monotonic() < self._expires:
                return self._cached
            services, unavailable = await self._fetch_all()
            own = {**own, "info": {**own.get("info", {}), "title": "CRM platform API"}}
            self._cached = merge_documents(own, services, unavailable=unavailable)
            self._expires = time.monotonic() + self.ttl_seconds
            return self._cached

    async def relearn(self) -> bool:
        """Read the services' documents again to learn new routes, unless that was done
        in the last ``relearn_seconds``; whether it was done now."""
        if time.monotonic() - self._learned_at < self.relearn_seconds:
            return False
        async with self._lock:
            if time.monotonic() - self._learned_at < self.relearn_seconds:
                return False
            await self._fetch_all()
            return True

    async def learn_all(self, *, pause: float = 2.0) -> None:
        """Learn every service's routes, reading again until each has answered: at
        start-up a service may still be starting, and until its document is read its
        public operations would need a token and its new prefixes would not route."""
        while True:
            async with self._lock:
                _, unavailable = await self._fetch_all()
            if not unavailable:
                return
            await asyncio.sleep(pause)

    async def _fetch_all(self) -> tuple[dict[str, dict[str, Any]], list[str]]:
        names = list(self.upstreams.urls)
        fetched = await asyncio.gather(*(self._fetch(name) for name in names))
        services = {n: doc for n, doc in zip(names, fetched, strict=True) if doc is not None}
        self.routes.learn(services)
        self._learned_at = time.monotonic()
        return services, [n for n in names if n not in services]

    def invalidate(self) -> None:
        """Forget the cached document."""
        self._cached = None

    async def _fetch(self, service: str) -> dict[str, Any] | None:
        try:
            doc = await self.upstreams.get_json(
                service, "/openapi.json", timeout=self.fetch_timeout
            )
        except Exception as exc:  # any failure means: leave this service out for now
            log.info("OpenAPI of %s unavailable: %s", service, exc or type(exc).__name__)
            return None
        return doc if isinstance(doc, dict) else None
