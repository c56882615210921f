from crm_chassis.repository import TenantRepository

from sales_service.pipelines.models import Pipeline


class PipelineRepository(TenantRepository[Pipeline]):
    model = Pipeline
    label = "pipeline"
    sortable = {"created_at": Pipeline.created_at, "name": Pipeline.name}
