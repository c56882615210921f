"""Identity routes: tokens for API keys, API keys, tenants."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from crm_chassis.auth import Actor, ActorDep
from crm_chassis.db import SessionDep
from crm_chassis.errors import Forbidden
from fastapi import APIRouter, Depends, Request, Response, status

from crm_gateway.identity import service
from crm_gateway.identity.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    TenantCreate,
    TenantCreated,
    TenantRead,
    TokenRequest,
    TokenResponse,
)
from crm_gateway.settings import GatewaySettings

router = APIRouter(prefix="/v1", tags=["identity"])


def _settings(request: Request) -> GatewaySettings:
    settings: GatewaySettings = request.app.state.settings
    return settings


def _admin(principal: ActorDep) -> Actor:
    if "admin" not in principal.roles:
        raise Forbidden("This needs the admin role")
    return principal


SettingsDep = Annotated[GatewaySettings, Depends(_settings)]
AdminDep = Annotated[Actor, Depends(_admin)]


def _created(new: service.NewKey) -> ApiKeyCreated:
    return ApiKeyCreated(**ApiKeyRead.model_validate(new.key).model_dump(), api_key=new.secret)


@router.post("/auth/token", openapi_extra={"security": []})
async def create_token(
    body: TokenRequest, session: SessionDep, settings: SettingsDep, response: Response
) -> TokenResponse:
    """Exchange an API key for a bearer token."""
    issued = await service.exchange_api_key(
        session=session,
        settings=settings,
        api_key=body.api_key,
        ttl_seconds=settings.token_ttl_seconds,
    )
    response.headers["Cache-Control"] = "no-store"  # RFC 6749 5.1: never cache a token
    return TokenResponse(access_token=issued.access_token, expires_in=issued.expires_in)


@router.post("/api-keys", status_code=status.HTTP_201_CREATED)
async def create_api_key(
    body: ApiKeyCreate, session: SessionDep, principal: AdminDep, response: Response
) -> ApiKeyCreated:
    """A new API key for the caller's tenant; its secret is in this response only."""
    new = await service.create_api_key(
        session=session,
        tenant_id=principal.tenant_id,
        name=body.name,
        roles=body.roles,
        scopes=body.scopes,
    )
    response.headers["Cache-Control"] = "no-store"
    return _created(new)


@router.delete("/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_api_key(key_id: UUID, session: SessionDep, principal: AdminDep) -> None:
    """Revoke a key of the caller's tenant; tokens already issued run until they expire."""
    await service.revoke_api_key(session=session, tenant_id=principal.tenant_id, key_id=key_id)


@router.post("/tenants", status_code=status.HTTP_201_CREATED)
async def create_tenant(
    body: TenantCreate, session: SessionDep, principal: AdminDep, response: Response
) -> TenantCreated:
    """A new tenant and its first admin key (secret in this response only)."""
    tenant, admin = await service.create_tenant(session=session, name=body.name)
    response.headers["Cache-Control"] = "no-store"
    return TenantCreated(tenant=TenantRead.model_validate(tenant), admin_key=_created(admin))
