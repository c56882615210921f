"""contacts-service: the customer master (accounts, contacts)."""

from __future__ import annotations

from crm_chassis.app import create_service_app
from fastapi import FastAPI

from contacts_service.accounts.endpoints import router as accounts_router
from contacts_service.contacts.endpoints import router as contacts_router
from contacts_service.settings import ContactsSettings


def create_app(settings: ContactsSettings | None = None) -> FastAPI:
    return create_service_app(
        name="contacts-service",
        settings=settings or ContactsSettings(),
        routers=[accounts_router, contacts_router],
        description="Accounts and contacts: the single customer view.",
    )
