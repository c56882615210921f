"""Logging in: passwords and TOTP, refresh, password reset, OAuth2 client credentials."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any
from uuid import UUID

import pyotp
from crm_chassis.auth import ActorDep
from crm_chassis.db import SessionDep
from crm_chassis.errors import NotFound, Unauthorized
from fastapi import APIRouter, Form, Request, Response, status
from fastapi.responses import JSONResponse

from crm_gateway.identity import logins, oidc, reset_mail
from crm_gateway.identity.deps import SettingsDep, SignerDep
from crm_gateway.identity.keys import hash_key
from crm_gateway.identity.models import ApiKey, User
from crm_gateway.identity.oidc import OidcVerifier
from crm_gateway.identity.repository import IdentityRepository
from crm_gateway.identity.schemas import (
    ClientCredentialsToken,
    LoginRequest,
    LoginResponse,
    OidcExchange,
    PasswordResetConfirm,
    PasswordResetRequest,
    RefreshRequest,
    TokenResponse,
    TotpConfirm,
    TotpEnrolment,
)
from crm_gateway.identity.service import token_for_key, usable_key

router = APIRouter(prefix="/v1", tags=["identity"])
PUBLIC: dict[str, Any] = {"security": []}


def _no_store(response: Response) -> None:
    response.headers["Cache-Control"] = "no-store"  # RFC 6749 5.1: never cache a token


def _login_response(issued: logins.Login) -> LoginResponse:
    return LoginResponse(
        access_token=issued.access_token,
        expires_in=issued.expires_in,
        refresh_token=issued.refresh_token,
    )


@router.post("/auth/login", openapi_extra=PUBLIC)
async def login(
    body: LoginRequest,
    session: SessionDep,
    settings: SettingsDep,
    signer: SignerDep,
    response: Response,
) -> LoginResponse:
    """Log in with an email and password (and a TOTP code once enrolled)."""
    issued = await logins.login(
        session=session,
        settings=settings,
        signer=signer,
        email=body.email,
        password=body.password,
        totp_code=body.totp_code,
    )
    _no_store(response)
    return _login_response(issued)


@router.post("/auth/refresh", openapi_extra=PUBLIC)
async def refresh(
    body: RefreshRequest,
    session: SessionDep,
    settings: SettingsDep,
    signer: SignerDep,
    response: Response,
) -> LoginResponse:
    """A new access token and a new refresh token; the one presented is spent. A spent
    token presented again revokes its whole login."""
    try:
        issued = await logins.refresh(
            session=session, settings=settings, signer=signer, refresh_token=body.refresh_token
        )
    except logins.ReuseDetected:
        await session.commit()  # the revocation stands although the request fails
        raise
    _no_store(response)
    return _login_response(issued)


@router.post(
    "/auth/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=Response,  # documented as it is: no body
    openapi_extra=PUBLIC,
    responses={202: {"description": "Accepted, whether or not the address has an account"}},
)
async def ask_password_reset(
    body: PasswordResetRequest, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """Forgot the password: mail a one-time reset token to the address, if it belongs to
    a user. The answer is the same either way (no one learns which addresses have
    accounts); an address may ask a few times an hour (then 429)."""
    await reset_mail.request_reset(
        session=session, buckets=request.app.state.buckets, settings=settings, email=body.email
    )
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.post(
    "/auth/password-reset/confirm", status_code=status.HTTP_204_NO_CONTENT, openapi_extra=PUBLIC
)
async def reset_password(
    body: PasswordResetConfirm, session: SessionDep, settings: SettingsDep
) -> None:
    """Set a new password with a one-time reset token (mailed by ``POST
    /v1/auth/password-reset``, or issued by an admin at ``POST
    /v1/users/{id}/password-reset``); every login of the user ends."""
    await logins.reset_password(
        session=session, settings=settings, token=body.token, new_password=body.new_password
    )


async def _own_user(session: SessionDep, actor: ActorDep) -> User:
    user = await IdentityRepository(session).user(actor.user_id, tenant_id=actor.tenant_id)
    if user is None:
        raise NotFound("The caller is not a user (an API key has no second factor)")
    return user


@router.post("/auth/totp", status_code=status.HTTP_201_CREATED)
async def enrol_totp(
    session: SessionDep, actor: ActorDep, settings: SettingsDep, response: Response
) -> TotpEnrolment:
    """Start enrolling a TOTP second factor for the calling user."""
    user = await _own_user(session, actor)
    secret = await logins.start_totp(session=session, user=user)
    _no_store(response)
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=settings.jwt_issuer)
    return TotpEnrolment(secret=secret, otpauth_uri=uri)


@router.post("/auth/totp/confirm", status_code=status.HTTP_204_NO_CONTENT)
async def confirm_totp(body: TotpConfirm, session: SessionDep, actor: ActorDep) -> None:
    """Activate the pending TOTP secret: from now on login needs a code of it."""
    user = await _own_user(session, actor)
    await logins.confirm_totp(session=session, user=user, code=body.code)


def _oauth_error(error: str, description: str, status_code: int = 400) -> JSONResponse:
    headers = {"Cache-Control": "no-store"}
    if error == "invalid_client":
        headers["WWW-Authenticate"] = 'Basic realm="crm"'
    return JSONResponse(
        {"error": error, "error_description": description}, status_code, headers=headers
    )


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, value = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(value).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return client_id, secret


@router.post(
    "/oauth/token",
    openapi_extra=PUBLIC,
    responses={200: {"model": ClientCredentialsToken}, 400: {}, 401: {}},
)
async def oauth_token(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    signer: SignerDep,
    grant_type: Annotated[str, Form()],
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    scope: Annotated[str | None, Form()] = None,
) -> Response:
    """OAuth 2.0 client credentials (RFC 6749 4.4) for integrators: the client id is an
    API key's id, the secret the key; HTTP Basic or form fields. ``scope`` narrows the
    token to a subset of the key's scopes. Errors follow RFC 6749 5.2."""
    if grant_type != "client_credentials":
        return _oauth_error("unsupported_grant_type", "Only client_credentials is supported")
    credentials = _basic_credentials(request) or (client_id or "", client_secret or "")
    key = await _client(session, *credentials)
    if key is None:
        return _oauth_error("invalid_client", "Unknown client or wrong secret", 401)
    granted: frozenset[str] | None = None
    if scope is not None:
        wanted = frozenset(scope.split())
        held = frozenset(key.scopes)
        if not held or not all(_holds(held, s) for s in wanted):
            return _oauth_error("invalid_scope", "The scope exceeds the client's scopes")
        granted = wanted
    issued = await token_for_key(
        session=session,
        signer=signer,
        key=key,
        ttl_seconds=settings.token_ttl_seconds,
        scopes=granted,
    )
    body = ClientCredentialsToken(
        access_token=issued.access_token,
        expires_in=issued.expires_in,
        scope=" ".join(sorted(granted if granted is not None else key.scopes)),
    )
    return JSONResponse(body.model_dump(), headers={"Cache-Control": "no-store"})


def _holds(held: frozenset[str], scope: str) -> bool:
    return "*" in held or scope in held or f"{scope.split(':', 1)[0]}:*" in held


async def _client(session: SessionDep, client_id: str, secret: str) -> ApiKey | None:
    try:
        key_id = UUID(client_id)
        key = await usable_key(session, hash_key(secret))
    except (ValueError, Unauthorized):  # one answer for every failure
        return None
    return key if key.id == key_id else None


@router.post("/auth/oidc", openapi_extra=PUBLIC)
async def exchange_oidc_token(
    body: OidcExchange,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    signer: SignerDep,
    response: Response,
) -> TokenResponse:
    """Exchange a token of a trusted external OpenID Connect issuer for a platform token
    of the tenant and roles the operator mapped it to."""
    verifier: OidcVerifier = request.app.state.oidc
    actor, _ = await oidc.exchange(session, verifier, body.id_token)
    ttl = settings.token_ttl_seconds
    _no_store(response)
    return TokenResponse(access_token=signer.issue(actor, ttl_seconds=ttl), expires_in=ttl)
