"""sales-service: sales force automation; pipelines first, the rest with their issues."""

from crm_chassis.app import create_service_app
from fastapi import FastAPI

from sales_service.pipelines.endpoints import router as pipelines_router
from sales_service.settings import SalesSettings


def create_app(settings: SalesSettings | None = None) -> FastAPI:
    return create_service_app(
        name="sales-service",
        settings=settings or SalesSettings(),
        routers=[pipelines_router],
        description="Sales force automation: pipelines (leads, deals, quotes and more to come).",
    )
