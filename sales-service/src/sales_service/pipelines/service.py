"""Pipeline use cases: the chassis' CRUD, with this resource's view and events."""

from crm_chassis.crud import Crud, View
from crm_chassis.entity_events import EntityEvents
from crm_chassis.outbox import EventSource
from crm_proto.events import sales

from sales_service.pipelines.repository import PipelineRepository
from sales_service.pipelines.schemas import PipelineRead, PipelineWrite

VIEW = View("pipeline", PipelineRead, path="/v1/pipelines")
EVENTS = EntityEvents.of(EventSource("sales-service"), "crm.sales.pipeline", sales)
PIPELINES = Crud(PipelineRepository, VIEW, PipelineWrite, EVENTS)
