"""The source of every sales-service event, and the lifecycle events of its resources."""

from __future__ import annotations

from typing import Any

from crm_chassis.entity_events import EntityEvents
from crm_chassis.outbox import EventSource
from crm_proto import CloudEvent
from crm_proto.events import sales
from pydantic import BaseModel

SOURCE = EventSource("sales-service")


def lifecycle_events(key: str) -> EntityEvents:
    """Created / updated / deleted of ``crm.sales.<key>`` (payloads in proto's sales)."""
    return EntityEvents.of(SOURCE, f"crm.sales.{key}", sales)


def about(type_: str, record: Any, data: BaseModel, *, sequence: int | None = None) -> CloudEvent:
    """The event ``type_`` about ``record`` (an aggregate: its tenant, id and version)."""
    return SOURCE.event(
        type_,
        data,
        tenant_id=record.tenant_id,
        subject=record.id,
        sequence=record.version if sequence is None else sequence,
    )
