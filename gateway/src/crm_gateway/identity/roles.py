"""Roles and what they grant: scopes per service, row visibility, field allow-lists.

Pure rules, no I/O. The built-in roles are fixed here; a tenant defines more (stored as
:class:`~crm_gateway.identity.models.Role`) in the same shape. A caller holding several
roles gets the union of their scopes, the widest visibility, and, per resource, the union
of the allowed fields (a role that does not restrict a resource leaves it unrestricted).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from crm_chassis.auth import VISIBILITIES, Visibility

#: The platform operator: the only one who creates tenants. Never granted through the API.
OPERATOR = "operator"
ADMIN = "admin"

SERVICES = ("contacts", "sales", "marketing", "support", "analytics")


def _read(*services: str) -> frozenset[str]:
    return frozenset(f"{s}:read" for s in services)


def _all(*services: str) -> frozenset[str]:
    return frozenset(f"{s}:*" for s in services)


@dataclass(frozen=True)
class Grant:
    """What a role (or a set of roles) allows."""

    scopes: frozenset[str] = frozenset()
    visibility: Visibility = "own"
    fields: Mapping[str, frozenset[str]] = field(default_factory=lambda: MappingProxyType({}))


BUILT_IN: Mapping[str, Grant] = MappingProxyType(
    {
        ADMIN: Grant(frozenset({"*"}), "all"),
        "manager": Grant(
            _all("contacts", "sales") | _read("marketing", "support", "analytics"), "team"
        ),
        "sales_rep": Grant(_all("contacts", "sales") | _read("analytics"), "own"),
        "marketer": Grant(_read("contacts", "sales", "analytics") | _all("marketing"), "all"),
        "agent": Grant(_read("contacts", "sales") | _all("support"), "team"),
        "analyst": Grant(_read(*SERVICES) | _all("analytics"), "all"),
        "read_only": Grant(_read(*SERVICES), "all"),
    }
)
#: Names a tenant cannot give its own roles.
RESERVED = frozenset({*BUILT_IN, OPERATOR})


def combine(grants: Iterable[Grant]) -> Grant:
    """The grant of holding every one of ``grants``; no grant at all grants nothing."""
    grants = list(grants)
    if not grants:
        return Grant()
    scopes = frozenset().union(*(g.scopes for g in grants))
    visibility = max((g.visibility for g in grants), key=VISIBILITIES.index)
    resources = set().union(*(g.fields for g in grants))
    fields: dict[str, frozenset[str]] = {}
    for resource in resources:
        lists = [g.fields.get(resource) for g in grants]
        if all(allowed is not None for allowed in lists):
            fields[resource] = frozenset().union(*(a for a in lists if a is not None))
    return Grant(scopes, visibility, MappingProxyType(fields))


def resolve(names: Iterable[str], custom: Mapping[str, Grant]) -> Grant:
    """The combined grant of role ``names``: built-in ones first, then the tenant's own.
    The operator role grants nothing by itself (it only lets its holder create tenants);
    an unknown name grants nothing."""
    grants = []
    for name in names:
        grant = BUILT_IN.get(name) or custom.get(name)
        if grant is not None:
            grants.append(grant)
    return combine(grants)
