"""sales-service: sales force automation (S1-S12)."""

from crm_chassis.app import create_service_app
from fastapi import FastAPI

from sales_service.channels.endpoints import routers as channel_routers
from sales_service.configuration.endpoints import routers as configuration_routers
from sales_service.consumers import CONSUMERS
from sales_service.deals import rotting
from sales_service.deals.endpoints import routers as deal_routers
from sales_service.deals.service import rotting_job
from sales_service.forecast.endpoints import routers as forecast_routers
from sales_service.leads.endpoints import routers as lead_routers
from sales_service.orders.endpoints import router as orders_router
from sales_service.pipelines.endpoints import router as pipelines_router
from sales_service.pipelines.endpoints import stages_router
from sales_service.products.endpoints import routers as product_routers
from sales_service.quotes import service as quotes
from sales_service.quotes.endpoints import router as quotes_router
from sales_service.settings import SalesSettings
from sales_service.tasks import service as tasks
from sales_service.tasks.endpoints import routers as task_routers


def create_app(settings: SalesSettings | None = None) -> FastAPI:
    return create_service_app(
        name="sales-service",
        settings=settings or SalesSettings(),
        routers=[
            *lead_routers,
            pipelines_router,
            stages_router,
            *deal_routers,
            *product_routers,
            *configuration_routers,
            quotes_router,
            orders_router,
            *task_routers,
            *forecast_routers,
            *channel_routers,
        ],
        consumers=CONSUMERS,
        job_handlers={
            rotting.JOB: rotting_job,
            quotes.EXPIRY_JOB: quotes.expiry_job,
            tasks.REMINDER_JOB: tasks.reminder_job,
        },
        description="Sales force automation: leads, assignment, conversion, pipelines, deals, "
        "products and price books, configuration, quotes, orders, tasks, forecast, channels.",
    )
