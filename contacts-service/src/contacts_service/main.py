"""contacts-service: the customer master (accounts, contacts)."""

from __future__ import annotations

from crm_chassis import tasks
from crm_chassis.app import create_service_app
from crm_chassis.storage import store_from_settings
from fastapi import FastAPI

from contacts_service.accounts.endpoints import router as accounts_router
from contacts_service.attachments.endpoints import router as attachments_router
from contacts_service.attachments.service import PURGE_JOB, purge_handler
from contacts_service.consumers import CONSUMERS
from contacts_service.contacts.endpoints import router as contacts_router
from contacts_service.conversions.service import CONVERSIONS
from contacts_service.custom_fields.endpoints import router as custom_fields_router
from contacts_service.exports.endpoints import router as exports_router
from contacts_service.imports import service as imports
from contacts_service.imports.endpoints import router as imports_router
from contacts_service.links.endpoints import router as links_router
from contacts_service.lists.endpoints import router as lists_router
from contacts_service.merge.duplicates import SCAN_TASK
from contacts_service.merge.endpoints import routers as merge_routers
from contacts_service.notes.endpoints import router as notes_router
from contacts_service.privacy.endpoints import router as privacy_router
from contacts_service.privacy.service import FORGET_JOB, forget_copies_job
from contacts_service.search.endpoints import router as search_router
from contacts_service.settings import ContactsSettings
from contacts_service.tags.endpoints import router as tags_router
from contacts_service.timeline.endpoints import router as timeline_router


def create_app(settings: ContactsSettings | None = None) -> FastAPI:
    settings = settings or ContactsSettings()
    store = store_from_settings(settings)
    app = create_service_app(
        name="contacts-service",
        settings=settings,
        # Ids in paths are {name:uuid}: /v1/contacts/lookup is never read as an id, so
        # the order of the routers does not matter.
        routers=[
            contacts_router,
            accounts_router,
            search_router,
            exports_router,
            imports_router,
            *merge_routers,
            links_router,
            custom_fields_router,
            lists_router,
            tags_router,
            notes_router,
            attachments_router,
            timeline_router,
            privacy_router,
        ],
        consumers=[*CONSUMERS, CONVERSIONS],
        job_handlers={
            PURGE_JOB: purge_handler(store),
            **tasks.job_handlers([SCAN_TASK, imports.task_kind(settings)]),
            **imports.job_handlers(),
            FORGET_JOB: forget_copies_job,
        },
        description=(
            "The customer master: accounts, contacts, custom fields, tags and lists, search, "
            "duplicates and merge, import and export, timeline, notes and documents, privacy."
        ),
    )
    app.state.object_store = store
    return app
