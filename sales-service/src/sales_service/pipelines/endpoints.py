from crm_chassis.crud_routes import crud_router

from sales_service.pipelines.service import PIPELINES
from sales_service.pipelines.stage_schemas import StageFilters
from sales_service.pipelines.stages import STAGES

router = crud_router(PIPELINES, scope="sales", tags=["pipelines"])
stages_router = crud_router(STAGES, scope="sales", tags=["pipelines"], filters=StageFilters)
