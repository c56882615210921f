"""marketing-service: segments, campaigns, tracking, journeys, scoring, consent (M1-M8)."""

from __future__ import annotations

from crm_chassis.app import create_service_app
from fastapi import FastAPI

from marketing_service.campaigns import endpoints as campaigns
from marketing_service.campaigns.sender import job_handlers as campaign_jobs
from marketing_service.consent import endpoints as consent
from marketing_service.consumers import CONSUMERS
from marketing_service.journeys import endpoints as journeys
from marketing_service.journeys.service import job_handlers as journey_jobs
from marketing_service.scoring import endpoints as scoring
from marketing_service.scoring.service import REFRESH, run_refresh
from marketing_service.segments import endpoints as segments
from marketing_service.segments.service import EVALUATE, run_evaluation
from marketing_service.settings import MarketingSettings
from marketing_service.tracking import endpoints as tracking


def create_app(settings: MarketingSettings | None = None) -> FastAPI:
    settings = settings or MarketingSettings()
    return create_service_app(
        name="marketing-service",
        settings=settings,
        routers=[
            segments.extra,
            segments.router,
            campaigns.actions,
            campaigns.router,
            scoring.router,
            scoring.scores,
            tracking.router,
            consent.router,
            journeys.actions,
            journeys.router,
        ],
        consumers=CONSUMERS,
        job_handlers={
            EVALUATE: run_evaluation,
            REFRESH: run_refresh,
            **campaign_jobs(settings),
            **journey_jobs(settings),
        },
        description=(
            "Marketing automation: segments, campaigns, tracking, journeys, scoring, consent."
        ),
    )
