"""Passwords (argon2id) and the signed one-time password-reset token.

A reset token is an HMAC-signed JWT naming the user and a fingerprint of the user's
current password hash: setting a new password changes the hash, so a token can be used
once, and no table of issued tokens is needed.
"""

from __future__ import annotations

import hashlib
import time
from uuid import UUID

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
_RESET_AUDIENCE = "crm-password-reset"
# A hash to verify against when the email is unknown, so both answers take as long.
_DUMMY_HASH = _HASHER.hash("not a password of anyone")


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (salted; parameters inside the hash)."""
    return _HASHER.hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; always as slow as a real check."""
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def _fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:32]


def reset_token(user_id: UUID, password_hash: str, *, secret: str, ttl_seconds: int) -> str:
    """A token that lets its holder set the password of ``user_id`` once."""
    now = int(time.time())
    claims = {
        "sub": str(user_id),
        "aud": _RESET_AUDIENCE,
        "pwh": _fingerprint(password_hash),
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def reset_subject(token: str, *, secret: str) -> tuple[UUID, str]:
    """The user and password fingerprint of a valid, unexpired reset token.

    Raises ``ValueError`` for anything else; the caller still compares the fingerprint
    with the user's current hash (:func:`reset_matches`).
    """
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], audience=_RESET_AUDIENCE)
        return UUID(claims["sub"]), str(claims["pwh"])
    except (jwt.InvalidTokenError, KeyError, ValueError) as exc:
        raise ValueError("invalid reset token") from exc


def reset_matches(fingerprint: str, password_hash: str) -> bool:
    """Whether a token's fingerprint still names this password (not yet used)."""
    return fingerprint == _fingerprint(password_hash)
