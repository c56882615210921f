"""analytics-service: the warehouse on the platform's events, OLAP, reports and models."""

from __future__ import annotations

from crm_chassis import tasks
from crm_chassis.app import create_service_app
from fastapi import FastAPI

from analytics_service.olap.endpoints import router as olap_router
from analytics_service.reports.endpoints import router as reports_router
from analytics_service.runs.endpoints import router as runs_router
from analytics_service.runs.service import run_kind
from analytics_service.runtime import Runtime
from analytics_service.settings import AnalyticsSettings
from analytics_service.warehouse.consumer import parquet_job, warehouse_consumer
from analytics_service.warehouse.endpoints import router as warehouse_router
from analytics_service.warehouse.rebuild import rebuild_kind
from analytics_service.warehouse.store import Warehouse


def create_app(settings: AnalyticsSettings | None = None) -> FastAPI:
    settings = settings or AnalyticsSettings()
    warehouse = Warehouse(settings.warehouse_path, memory_limit=settings.warehouse_memory_limit)
    runtime = Runtime(settings=settings, warehouse=warehouse)
    writer = settings.warehouse_writer
    kinds = [rebuild_kind(runtime), run_kind(runtime)]
    handlers = {
        **tasks.job_handlers(kinds),
        **parquet_job(runtime.warehouse, settings.parquet_path),
    }
    consumer = warehouse_consumer(runtime.warehouse, settings.parquet_every)
    app = create_service_app(
        name="analytics-service",
        settings=settings,
        routers=[warehouse_router, olap_router, reports_router, runs_router],
        consumers=[consumer] if writer else [],
        job_handlers=handlers if writer else None,
        description=(
            "Analytical CRM: the warehouse, OLAP, reports, forecasting, "
            "RFM, CLV, churn, attribution."
        ),
    )
    runtime.app = app
    app.state.runtime = runtime
    return app
