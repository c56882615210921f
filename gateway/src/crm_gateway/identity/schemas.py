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
    expires_at: datetime | None = Field(None, description="when the key stops working")


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
    expires_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    """A key just created, with its secret: shown this once, stored only as a hash."""

    api_key: str


class TenantCreate(BaseModel):
    """A new tenant."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)


class TenantUpdate(BaseModel):
    """What the operator sets for a tenant; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    allow_private_webhooks: bool | None = None
    cors_origins: list[Annotated[str, StringConstraints(pattern=r"^https?://[^/\s]+$")]] | None = (
        Field(None, max_length=50)
    )


class TenantRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    created_at: datetime
    allow_private_webhooks: bool
    cors_origins: list[str]


class TenantCreated(BaseModel):
    """A new tenant and its first admin key."""

    tenant: TenantRead
    admin_key: ApiKeyCreated


class LoginRequest(BaseModel):
    """An email and password, and the TOTP code once the user enrolled one."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1024)
    totp_code: str | None = Field(None, pattern=r"^[0-9]{6}$")


class LoginResponse(TokenResponse):
    """An access token and the refresh token that renews it (each use rotates it)."""

    refresh_token: str


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=512)


class PasswordResetRequest(BaseModel):
    """The address of the account whose password is forgotten."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")


class PasswordResetConfirm(BaseModel):
    """A reset token and the new password it sets (once)."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=2048)
    new_password: str = Field(min_length=10, max_length=1024)


class PasswordResetIssued(BaseModel):
    """A one-time reset token, to hand to the user out of band."""

    token: str
    expires_in: int


class TotpEnrolment(BaseModel):
    """A TOTP secret to load into an authenticator; confirm a code to activate it."""

    secret: str
    otpauth_uri: str


class TotpConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[0-9]{6}$")


class ClientCredentialsToken(BaseModel):
    """RFC 6749 5.1."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    scope: str


class UserCreate(BaseModel):
    """A new user of the caller's tenant."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    password: str = Field(min_length=10, max_length=1024)
    roles: list[Role] = Field(default_factory=list, max_length=20)
    team_ids: list[UUID] = Field(default_factory=list, max_length=50)


class UserUpdate(BaseModel):
    """What an admin changes about a user; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    roles: list[Role] | None = Field(None, max_length=20)
    team_ids: list[UUID] | None = Field(None, max_length=50)
    disabled: bool | None = None


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    tenant_id: UUID
    email: str
    roles: list[str]
    team_ids: list[UUID]
    totp_enabled: bool
    created_at: datetime
    disabled_at: datetime | None


class OidcExchange(BaseModel):
    """A token (ID or access token) of an external OpenID Connect issuer."""

    model_config = ConfigDict(extra="forbid")

    id_token: str = Field(min_length=10, max_length=16384)
