"""marketing-service: the package skeleton; its capabilities arrive with their issues."""

from __future__ import annotations

from crm_chassis.app import create_service_app
from fastapi import FastAPI

from marketing_service.settings import MarketingSettings


def create_app(settings: MarketingSettings | None = None) -> FastAPI:
    return create_service_app(
        name="marketing-service",
        settings=settings or MarketingSettings(),
        routers=[],
        description=(
            "Marketing automation: segments, campaigns, tracking, journeys, scoring, consent."
        ),
    )
