"""The source of every sales-service event, and the lifecycle events of its resources."""

from __future__ import annotations

from crm_chassis.entity_events import EntityEvents
from crm_chassis.outbox import EventSource
from crm_proto.events import sales

SOURCE = EventSource("sales-service")


def lifecycle_events(key: str) -> EntityEvents:
    """Created / updated / deleted of ``crm.sales.<key>`` (payloads in proto's sales)."""
    return EntityEvents.of(SOURCE, f"crm.sales.{key}", sales)
