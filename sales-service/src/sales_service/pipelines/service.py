"""Pipeline use cases: the chassis' CRUD, with this resource's view and events."""

from crm_chassis.crud import Crud, View

from sales_service.common.events import lifecycle_events
from sales_service.pipelines.repository import PipelineRepository
from sales_service.pipelines.schemas import PipelineRead, PipelineWrite

VIEW = View("pipeline", PipelineRead, path="/v1/pipelines")
PIPELINES = Crud(PipelineRepository, VIEW, PipelineWrite, lifecycle_events("pipeline"))
