"""The route table: which service answers ``/v1/<first segment>/...``.

Learned from the services: every first segment of a ``/v1`` path in a service's OpenAPI
document belongs to that service, so a service that adds a resource needs no change
here. :data:`KNOWN` seeds the table with the resources each service is known to own, so
they route (and answer 502/503 naming their service) before its document was ever read.
A prefix two services claim is routed to neither (it is logged) unless it is known; one
known for a service stays with it. A path of one service under another's prefix
(marketing's ``/v1/contacts/{id}/score``) is routed by its whole template. An operation
a service declares public (``security: []``, ``crm_chassis.openapi.PUBLIC``) passes
without a token; every other one needs a valid token here first.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

log = logging.getLogger("crm.gateway.routes")

KNOWN: dict[str, tuple[str, ...]] = {
    "contacts": (
        "accounts", "contacts", "custom-fields", "tags", "lists", "duplicates", "merges",
        "imports", "exports", "timeline", "notes", "attachments", "personal-data",
        "memberships",
    ),
    "sales": (
        "leads", "lead-assignment-rules", "pipelines", "deals", "products", "price-books",
        "product-rules", "quotes", "orders", "ledger", "tasks", "forecast", "channels",
        "partners",
    ),
    "marketing": (
        "segments", "campaigns", "templates", "tracking", "journeys", "scores",
        "scoring-rules", "ab-tests", "consents", "unsubscribe", "touchpoints",
    ),
    "support": (
        "tickets", "queues", "skills", "sla-policies", "olas", "calendars", "calls", "kb",
        "surveys", "portal",
    ),
    "analytics": ("analytics", "reports", "cubes"),
}  # fmt: skip
# Kept under its old name for readers of the static table.
ROUTE_TABLE = KNOWN

#: Prefixes the gateway answers itself; never proxied, never learned.
GATEWAY_PREFIXES = frozenset(
    {
        "auth", "oauth", "api-keys", "tenants", "users", "teams", "roles", "webhooks",
        "audit", "events", "records",
    }
)  # fmt: skip
#: Every service has its own ``/v1/admin`` (dead letters, jobs): per process, not routed.
PER_SERVICE = frozenset({"admin"})


def _first_segment(path: str) -> str | None:
    if not path.startswith("/v1/"):
        return None
    first = path[4:].split("/", 1)[0]
    return first or None


def _template(path: str) -> re.Pattern[str]:
    """``/v1/contacts/{id}/score`` as a pattern of concrete paths."""
    parts = re.split(r"(\{[^}/]+\})", path)
    return re.compile(
        "^" + "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$"
    )


def _seeded(known: Mapping[str, Iterable[str]]) -> dict[str, str]:
    owners: dict[str, str] = {}
    for service, prefixes in known.items():
        for prefix in prefixes:
            if prefix in owners or prefix in GATEWAY_PREFIXES:
                raise ValueError(f"/v1/{prefix} is routed twice ({owners.get(prefix)}, {service})")
            owners[prefix] = service
    return owners


class RouteTable:
    """Service by first path segment: the known ones, and those learned from OpenAPI."""

    def __init__(self, known: Mapping[str, Iterable[str]] = KNOWN) -> None:
        self._known = _seeded(known)
        self._owners = dict(self._known)
        self._templates: dict[str, list[tuple[re.Pattern[str], str]]] = {}
        self._public: dict[str, list[tuple[str, re.Pattern[str]]]] = {}

    @property
    def by_prefix(self) -> Mapping[str, str]:
        return self._owners

    def service_for(self, path: str) -> str | None:
        """The service owning ``path`` (``/v1/deals/123`` -> ``sales``), or None."""
        first = _first_segment(path)
        if first is None:
            return None
        for template, service in self._templates.get(first, ()):
            if template.match(path):
                return service
        return self._owners.get(first)

    def learn(self, documents: Mapping[str, Mapping[str, Any]]) -> None:
        """Route every first segment of the services' ``/v1`` paths to its service."""
        claims: dict[str, set[str]] = {}
        for service, doc in documents.items():
            for path in doc.get("paths", {}):
                first = _first_segment(path)
                if first and first not in GATEWAY_PREFIXES and first not in PER_SERVICE:
                    claims.setdefault(first, set()).add(service)
        owners = dict(self._known)
        for prefix, services in claims.items():
            if prefix in owners:
                continue
            if len(services) > 1:
                log.warning("/v1/%s is claimed by %s: not routed", prefix, sorted(services))
                continue
            owners[prefix] = next(iter(services))
        templates: dict[str, list[tuple[re.Pattern[str], str]]] = {}
        for service, doc in documents.items():
            for path in doc.get("paths", {}):
                first = _first_segment(path)
                if first in owners and owners[first] != service:
                    templates.setdefault(first, []).append((_template(path), service))
        public: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
        for doc in documents.values():
            for path, item in doc.get("paths", {}).items():
                for method, operation in item.items():
                    first = _first_segment(path)
                    if first and isinstance(operation, dict) and operation.get("security") == []:
                        public.setdefault(first, []).append((method.upper(), _template(path)))
        self._owners, self._templates, self._public = owners, templates, public

    def is_public(self, method: str, path: str) -> bool:
        """Whether the service declares ``method path`` as taking no token
        (``security: []``: a web form, a tracking pixel, a signed link)."""
        first = _first_segment(path)
        candidates = self._public.get(first, ()) if first else ()
        return any(m == method and template.match(path) for m, template in candidates)


_DEFAULT = RouteTable()
SERVICE_BY_PREFIX = _DEFAULT.by_prefix


def service_for(path: str) -> str | None:
    """The service of ``path`` by the known table alone (what routes without OpenAPI)."""
    return _DEFAULT.service_for(path)
