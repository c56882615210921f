"""contacts-service: the customer master (accounts, contacts)."""

from __future__ import annotations

from crm_chassis.app import create_service_app
from fastapi import FastAPI

from contacts_service.accounts.endpoints import router as accounts_router
from contacts_service.contacts.endpoints import router as contacts_router
from contacts_service.custom_fields.endpoints import router as custom_fields_router
from contacts_service.links.endpoints import router as links_router
from contacts_service.lists.endpoints import router as lists_router
from contacts_service.settings import ContactsSettings
from contacts_service.tags.endpoints import router as tags_router


def create_app(settings: ContactsSettings | None = None) -> FastAPI:
    return create_service_app(
        name="contacts-service",
        settings=settings or ContactsSettings(),
        routers=[
            accounts_router,
            contacts_router,
            links_router,
            custom_fields_router,
            lists_router,
            tags_router,
        ],
        description="The customer master: accounts, contacts, custom fields, tags and lists.",
    )
