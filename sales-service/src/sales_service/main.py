"""sales-service: the package skeleton; its capabilities arrive with their issues."""

from __future__ import annotations

from crm_chassis.app import create_service_app
from fastapi import FastAPI

from sales_service.settings import SalesSettings


def create_app(settings: SalesSettings | None = None) -> FastAPI:
    return create_service_app(
        name="sales-service",
        settings=settings or SalesSettings(),
        routers=[],
        description=(
            "Sales force automation: leads, pipelines, deals, products, "
            "quotes, orders, tasks, forecast."
        ),
    )
