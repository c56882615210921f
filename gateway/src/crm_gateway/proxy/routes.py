"""The route table: which service answers ``/v1/<first segment>/...``.

One table, read top to bottom. A resource belongs to exactly one service; a prefix that
appears twice is an error at import time, not a silent override.
"""

from __future__ import annotations

from types import MappingProxyType

ROUTE_TABLE: dict[str, tuple[str, ...]] = {
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

#: Prefixes the gateway answers itself; never proxied.
GATEWAY_PREFIXES = frozenset({"auth", "api-keys", "tenants"})


def _by_prefix() -> MappingProxyType[str, str]:
    owners: dict[str, str] = {}
    for service, prefixes in ROUTE_TABLE.items():
        for prefix in prefixes:
            if prefix in owners or prefix in GATEWAY_PREFIXES:
                raise ValueError(f"/v1/{prefix} is routed twice ({owners.get(prefix)}, {service})")
            owners[prefix] = service
    return MappingProxyType(owners)


SERVICE_BY_PREFIX = _by_prefix()


def service_for(path: str) -> str | None:
    """The service owning ``path`` (``/v1/deals/123`` -> ``sales``), or None.

    ``path`` is the request path; only its first segment after ``/v1/`` matters.
    """
    if not path.startswith("/v1/"):
        return None
    first = path[4:].split("/", 1)[0]
    return SERVICE_BY_PREFIX.get(first)
