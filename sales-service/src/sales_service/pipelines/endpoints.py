from crm_chassis.crud_routes import crud_router

from sales_service.pipelines.service import PIPELINES

router = crud_router(PIPELINES, scope="sales", tags=["pipelines"])
