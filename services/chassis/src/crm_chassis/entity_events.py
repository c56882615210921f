"""Created / updated / deleted events of an aggregate, built the same way for each one.

A service declares, per aggregate, the proto payload models once::

    PIPELINE_EVENTS = EntityEvents.of(source, "crm.sales.pipeline", crm_proto.events.sales)
    await emit(session, PIPELINE_EVENTS.created(pipeline))

(``EntityEvents(...)`` names the models itself where they are named otherwise.)

``sequence`` is the record's version (the deleted event's one past it), so a projection
can drop an event older than what it holds.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from crm_proto import CloudEvent
from pydantic import BaseModel

from crm_chassis.outbox import EventSource

_KINDS = ("created", "updated", "deleted")


class EntityEvents:
    """The lifecycle events of one aggregate type."""

    def __init__(
        self,
        source: EventSource,
        type_prefix: str,
        snapshot: type[BaseModel],
        key: str,
        *,
        created: type[BaseModel],
        updated: type[BaseModel],
        deleted: type[BaseModel],
    ) -> None:
        self.source = source
        self.type_prefix = type_prefix
        self.snapshot_model = snapshot
        self.key = key
        self.created_model = created
        self.updated_model = updated
        self.deleted_model = deleted

    @classmethod
    def of(cls, source: EventSource, type_prefix: str, module: ModuleType) -> EntityEvents:
        """The events of ``type_prefix`` (``crm.sales.pipeline``) whose payload models in
        ``module`` follow the proto naming: ``PipelineSnapshot``, ``PipelineCreated``,
        ``PipelineUpdated`` and ``PipelineDeleted``, the snapshot under ``pipeline``."""
        key = type_prefix.rsplit(".", 1)[1]
        name = "".join(part.capitalize() for part in key.split("_"))
        models = {kind: getattr(module, f"{name}{kind.capitalize()}") for kind in _KINDS}
        return cls(source, type_prefix, getattr(module, f"{name}Snapshot"), key, **models)

    def snapshot(self, entity: Any) -> Any:
        return self.snapshot_model.model_validate(entity, from_attributes=True)

    def event(
        self, name: str, entity: Any, data: BaseModel, *, sequence: int | None = None
    ) -> CloudEvent:
        """``<prefix>.<name>.v1`` about ``entity`` carrying ``data``."""
        return self.source.event(
            f"{self.type_prefix}.{name}.v1",
            data,
            tenant_id=entity.tenant_id,
            subject=entity.id,
            sequence=entity.version if sequence is None else sequence,
        )

    def created(self, entity: Any) -> CloudEvent:
        return self.event(
            "created", entity, self.created_model(**{self.key: self.snapshot(entity)})
        )

    def updated(self, entity: Any, changed: list[str], **extra: Any) -> CloudEvent:
        data = self.updated_model(**{self.key: self.snapshot(entity)}, changed=changed, **extra)
        return self.event("updated", entity, data)

    def deleted(self, entity: Any, **extra: Any) -> CloudEvent:
        data = self.deleted_model(id=entity.id, **extra)
        return self.event("deleted", entity, data, sequence=entity.version + 1)
