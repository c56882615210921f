"""The merged OpenAPI document: fetched from the services, cached briefly."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from crm_gateway.openapi.merge import merge_documents
from crm_gateway.proxy.client import UpstreamClient

log = logging.getLogger("crm.gateway.openapi")


class OpenApiAggregator:
    """Builds the platform's document from the gateway's own and every reachable service's."""

    def __init__(
        self, upstreams: UpstreamClient, *, ttl_seconds: float, fetch_timeout: float
    ) -> None:
        self.upstreams = upstreams
        self.ttl_seconds = ttl_seconds
        self.fetch_timeout = fetch_timeout
        self._cached: dict[str, Any] | None = None
        self._expires = 0.0
        # One refresh at a time: a burst of /docs loads fetches the services once.
        self._lock = asyncio.Lock()

    async def document(self, own: dict[str, Any]) -> dict[str, Any]:
        """The merged document; services that do not answer are named, not fatal."""
        if self._cached is not None and time.monotonic() < self._expires:
            return self._cached
        async with self._lock:
            if self._cached is not None and time.monotonic() < self._expires:
                return self._cached
            names = list(self.upstreams.urls)
            fetched = await asyncio.gather(*(self._fetch(name) for name in names))
            services = {n: doc for n, doc in zip(names, fetched, strict=True) if doc is not None}
            unavailable = [n for n in names if n not in services]
            own = {**own, "info": {**own.get("info", {}), "title": "CRM platform API"}}
            self._cached = merge_documents(own, services, unavailable=unavailable)
            self._expires = time.monotonic() + self.ttl_seconds
            return self._cached

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
