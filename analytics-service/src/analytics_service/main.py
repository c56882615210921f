"""analytics-service: the package skeleton; its capabilities arrive with their issues."""

from __future__ import annotations

from crm_chassis.app import create_service_app
from fastapi import FastAPI

from analytics_service.settings import AnalyticsSettings


def create_app(settings: AnalyticsSettings | None = None) -> FastAPI:
    return create_service_app(
        name="analytics-service",
        settings=settings or AnalyticsSettings(),
        routers=[],
        description=(
            "Analytical CRM: the warehouse, OLAP, reports, forecasting, "
            "RFM, CLV, churn, attribution."
        ),
    )
