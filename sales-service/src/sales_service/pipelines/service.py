"""Pipeline use cases: the chassis' plain CRUD, with this resource's events."""

from crm_chassis.crud import Crud, View
from crm_chassis.entity_events import EntityEvents
from crm_chassis.outbox import EventSource
from crm_proto.events.sales import (
    PipelineCreated,
    PipelineDeleted,
    PipelineSnapshot,
    PipelineUpdated,
)

from sales_service.pipelines.repository import PipelineRepository
from sales_service.pipelines.schemas import PipelineRead, PipelineWrite

EVENTS = EntityEvents(
    EventSource("sales-service"),
    "crm.sales.pipeline",
    PipelineSnapshot,
    "pipeline",
    created=PipelineCreated,
    updated=PipelineUpdated,
    deleted=PipelineDeleted,
)
VIEW = View("pipeline", PipelineRead, path="/v1/pipelines")
PIPELINES = Crud(PipelineRepository, VIEW, PipelineWrite, EVENTS)
