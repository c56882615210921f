"""support-service: tickets, routing, SLA policies and clocks, the email channel, calls,
knowledge base and portal, CSAT, OLAs (V1-V9)."""

from __future__ import annotations

from crm_chassis.app import create_service_app
from crm_chassis.storage import store_from_settings
from fastapi import FastAPI

from support_service.attachments.endpoints import router as attachments_router
from support_service.calendars.endpoints import router as calendars_router
from support_service.calls import endpoints as calls
from support_service.consumers import CONSUMERS
from support_service.csat import mail as survey_mail
from support_service.csat.endpoints import router as surveys_router
from support_service.email import outbound
from support_service.email.endpoints import router as email_router
from support_service.knowledge import endpoints as knowledge
from support_service.policies.endpoints import router as policies_router
from support_service.portal.endpoints import router as portal_router
from support_service.routing.endpoints import agents, queues
from support_service.settings import SupportSettings
from support_service.sla import jobs as sla_jobs
from support_service.tickets.endpoints import fields_router as ticket_fields_router
from support_service.tickets.endpoints import router as tickets_router


def create_app(settings: SupportSettings | None = None) -> FastAPI:
    settings = settings or SupportSettings()
    app = create_service_app(
        name="support-service",
        settings=settings,
        routers=[
            tickets_router,
            ticket_fields_router,
            email_router,
            calendars_router,
            policies_router,
            queues,
            agents,
            calls.router,
            calls.crud,
            knowledge.router,
            knowledge.crud,
            portal_router,
            surveys_router,
            attachments_router,
        ],
        consumers=CONSUMERS,
        job_handlers={
            **sla_jobs.job_handlers(),
            **outbound.job_handlers(settings),
            **survey_mail.job_handlers(settings),
        },
        description=(
            "Customer service: tickets, routing, SLA policies and explainable clocks on "
            "business calendars, the email channel, calls, knowledge base and portal, CSAT."
        ),
    )
    app.state.object_store = store_from_settings(settings)
    return app
