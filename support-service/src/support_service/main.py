"""support-service: the package skeleton; its capabilities arrive with their issues."""

from __future__ import annotations

from crm_chassis.app import create_service_app
from fastapi import FastAPI

from support_service.settings import SupportSettings


def create_app(settings: SupportSettings | None = None) -> FastAPI:
    return create_service_app(
        name="support-service",
        settings=settings or SupportSettings(),
        routers=[],
        description=(
            "Customer service: tickets, routing, SLA policies and "
            "clocks, calls, knowledge base, CSAT."
        ),
    )
