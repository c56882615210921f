"""Users logging in: passwords, TOTP, refresh tokens that rotate, password resets.

Functions take keyword arguments and never commit.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

import pyotp
from crm_chassis.errors import BadRequest, Unauthorized
from crm_chassis.ids import new_id
from crm_chassis.orm import utcnow
from sqlalchemy.ext.asyncio import AsyncSession

from crm_gateway.identity.grants import actor_for
from crm_gateway.identity.keys import hash_key
from crm_gateway.identity.models import RefreshToken, User
from crm_gateway.identity.passwords import (
    check_password,
    hash_password,
    reset_matches,
    reset_subject,
)
from crm_gateway.identity.repository import IdentityRepository
from crm_gateway.identity.signing import Signer
from crm_gateway.settings import GatewaySettings

REFRESH_PREFIX = "crm_rt_"
_BAD_LOGIN = "The email or password is wrong"


@dataclass(frozen=True)
class Login:
    """An access token and the refresh token that renews it."""

    access_token: str
    expires_in: int
    refresh_token: str


async def login(
    *,
    session: AsyncSession,
    settings: GatewaySettings,
    signer: Signer,
    email: str,
    password: str,
    totp_code: str | None,
) -> Login:
    """Tokens for a user whose password (and TOTP code, once enrolled) are right."""
    user = await IdentityRepository(session).user_by_email(email)
    valid = check_password(user.password_hash if user else None, password)
    if user is None or not valid or user.disabled_at is not None:
        raise Unauthorized(_BAD_LOGIN)
    if user.totp_secret is not None:
        if not totp_code:
            raise Unauthorized("A TOTP code is required", errors=[_totp_error("required")])
        if not pyotp.TOTP(user.totp_secret).verify(totp_code, valid_window=1):
            raise Unauthorized("The TOTP code is wrong", errors=[_totp_error("wrong")])
    return await _issue(session, settings, signer, user, family_id=new_id())


def _totp_error(message: str) -> dict[str, str]:
    return {"field": "totp_code", "message": message}


async def refresh(
    *, session: AsyncSession, settings: GatewaySettings, signer: Signer, refresh_token: str
) -> Login:
    """Rotate ``refresh_token``: it is spent, a new one of its family is issued.

    A spent token presented again means it leaked (the thief or the user used it first):
    the whole family is revoked, so both must log in again.
    """
    repo = IdentityRepository(session)
    stored = await repo.refresh_token_by_hash(hash_key(refresh_token))
    now = utcnow()
    if stored is None or stored.revoked_at is not None or stored.expires_at <= now:
        raise Unauthorized("The refresh token is unknown, expired or revoked")
    if stored.used_at is not None:
        await repo.revoke_family(stored.family_id)
        raise ReuseDetected("The refresh token was already used; its login is revoked")
    stored.used_at = now
    user = await repo.user(stored.user_id)
    if user is None or user.disabled_at is not None:
        raise Unauthorized("The user is disabled")
    return await _issue(session, settings, signer, user, family_id=stored.family_id)


class ReuseDetected(Unauthorized):
    """A spent refresh token came back. The revocation must commit although the request
    fails, so the endpoint commits before raising it."""


async def _issue(
    session: AsyncSession,
    settings: GatewaySettings,
    signer: Signer,
    user: User,
    *,
    family_id: UUID,
) -> Login:
    secret = REFRESH_PREFIX + secrets.token_urlsafe(32)
    await IdentityRepository(session).add(
        RefreshToken(
            tenant_id=user.tenant_id,
            user_id=user.id,
            family_id=family_id,
            token_hash=hash_key(secret),
            expires_at=utcnow() + timedelta(seconds=settings.refresh_ttl_seconds),
        )
    )
    actor = await actor_for(
        session,
        tenant_id=user.tenant_id,
        subject=user.id,
        roles=user.roles,
        team_ids=user.team_ids,
    )
    ttl = settings.token_ttl_seconds
    return Login(signer.issue(actor, ttl_seconds=ttl), ttl, secret)


async def reset_password(
    *, session: AsyncSession, settings: GatewaySettings, token: str, new_password: str
) -> None:
    """Set a password with a reset token; the token is spent by it, and every refresh
    token of the user revoked (whoever knew the old password is logged out)."""
    try:
        user_id, fingerprint = reset_subject(token, secret=settings.jwt_secret)
    except ValueError:
        raise BadRequest("The reset token is invalid or expired") from None
    repo = IdentityRepository(session)
    user = await repo.user(user_id)
    if user is None or not reset_matches(fingerprint, user.password_hash):
        raise BadRequest("The reset token is invalid, expired or already used")
    user.password_hash = hash_password(new_password)
    await repo.revoke_user_tokens(user.id)
    await session.flush()


async def start_totp(*, session: AsyncSession, user: User) -> str:
    """A new TOTP secret for ``user``, active once :func:`confirm_totp` sees a code of it."""
    user.totp_pending = pyotp.random_base32()
    await session.flush()
    return user.totp_pending


async def confirm_totp(*, session: AsyncSession, user: User, code: str) -> None:
    """Activate the pending secret if ``code`` is one of its current codes."""
    if user.totp_pending is None:
        raise BadRequest("No TOTP enrolment is pending")
    if not pyotp.TOTP(user.totp_pending).verify(code, valid_window=1):
        raise BadRequest("The TOTP code is wrong", errors=[_totp_error("wrong")])
    user.totp_secret, user.totp_pending = user.totp_pending, None
    await session.flush()
