"""Identity routes: tokens for API keys, API keys, tenants."""

from __future__ import annotations

from uuid import UUID

from crm_chassis.db import SessionDep
from fastapi import APIRouter, Request, Response, status

from crm_gateway.identity import service
from crm_gateway.identity.deps import AdminDep, OperatorDep, SettingsDep, SignerDep
from crm_gateway.identity.repository import IdentityRepository
from crm_gateway.identity.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    TenantCreate,
    TenantCreated,
    TenantRead,
    TenantUpdate,
    TokenRequest,
    TokenResponse,
)

router = APIRouter(prefix="/v1", tags=["identity"])


def _created(new: service.NewKey) -> ApiKeyCreated:
    return ApiKeyCreated(**ApiKeyRead.model_validate(new.key).model_dump(), api_key=new.secret)


@router.post("/auth/token", openapi_extra={"security": []})
async def create_token(
    body: TokenRequest,
    session: SessionDep,
    settings: SettingsDep,
    signer: SignerDep,
    response: Response,
) -> TokenResponse:
    """Exchange an API key for a bearer token."""
    issued = await service.exchange_api_key(
        session=session,
        signer=signer,
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
        expires_at=body.expires_at,
    )
    response.headers["Cache-Control"] = "no-store"
    return _created(new)


@router.get("/api-keys")
async def list_api_keys(session: SessionDep, principal: AdminDep) -> list[ApiKeyRead]:
    """The tenant's keys, newest first: names, prefixes, scopes, expiry and last use."""
    keys = await IdentityRepository(session).keys_of_tenant(principal.tenant_id)
    return [ApiKeyRead.model_validate(k) for k in keys]


@router.delete("/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_api_key(key_id: UUID, session: SessionDep, principal: AdminDep) -> None:
    """Revoke a key of the caller's tenant; tokens already issued run until they expire."""
    await service.revoke_api_key(session=session, tenant_id=principal.tenant_id, key_id=key_id)


@router.post("/tenants", status_code=status.HTTP_201_CREATED)
async def create_tenant(
    body: TenantCreate, session: SessionDep, operator: OperatorDep, response: Response
) -> TenantCreated:
    """A new tenant and its first admin key (secret in this response only); only the
    platform operator creates tenants, never a tenant's admin."""
    tenant, admin = await service.create_tenant(session=session, name=body.name)
    response.headers["Cache-Control"] = "no-store"
    return TenantCreated(tenant=TenantRead.model_validate(tenant), admin_key=_created(admin))


@router.patch("/tenants/{tenant_id}")
async def update_tenant(
    tenant_id: UUID,
    body: TenantUpdate,
    session: SessionDep,
    operator: OperatorDep,
    request: Request,
) -> TenantRead:
    """The operator's settings of a tenant: whether its webhooks may target private
    addresses, its CORS origins."""
    tenant = await service.update_tenant(session=session, tenant_id=tenant_id, data=body)
    await session.commit()
    request.app.state.cors.invalidate()  # this replica at once; the others within 30 s
    return TenantRead.model_validate(tenant)
