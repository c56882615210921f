"""Request and response bodies of the identity endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Role = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,63}$")]
Scope = Annotated[
    str, StringConstraints(pattern=r"^(\*|[a-z][a-z0-9_-]{0,60}:(\*|[a-z][a-z0-9_-]{0,60}))$")
]


class TokenRequest(BaseModel):
    """An API key to exchange for an access token."""

    model_config = ConfigDict(extra="forbid")

    api_key: str = Field(min_length=1, max_length=512)


class TokenResponse(BaseModel):
    """An OAuth 2-style bearer token (RFC 6749 5.1)."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="seconds until the token expires")


class ApiKeyCreate(BaseModel):
    """A new key for the caller's tenant."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    roles: list[Role] = Field(default_factory=list, max_length=20)
    scopes: list[Scope] = Field(default_factory=list, max_length=100)


class ApiKeyRead(BaseModel):
    """A key as listed: its prefix, never its secret."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    tenant_id: UUID
    name: str
    prefix: str
    roles: list[str]
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    """A key just created, with its secret: shown this once, stored only as a hash."""

    api_key: str


class TenantCreate(BaseModel):
    """A new tenant."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)


class TenantRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    created_at: datetime


class TenantCreated(BaseModel):
    """A new tenant and its first admin key."""

    tenant: TenantRead
    admin_key: ApiKeyCreated
