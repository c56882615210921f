"""Signed, expiring tokens for links that work without a login (CSAT surveys, the
self-service portal): ``<claims>.<signature>``, both base64url, HMAC-SHA256 under a key
derived from the platform secret and the link's purpose, so a survey link is never a
portal token and neither is a JWT."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from crm_chassis.errors import Unauthorized


def _key(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), f"crm-signed-link:{purpose}".encode(), "sha256").digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(secret: str, purpose: str, claims: dict[str, Any], ttl: timedelta) -> str:
    body = {**claims, "exp": int((datetime.now(UTC) + ttl).timestamp())}
    payload = _b64(json.dumps(body, separators=(",", ":"), sort_keys=True).encode())
    signature = hmac.new(_key(secret, purpose), payload.encode(), hashlib.sha256).digest()
    return f"{payload}.{_b64(signature)}"


def verify(secret: str, purpose: str, token: str) -> dict[str, Any]:
    """The claims of a valid, unexpired ``token`` for ``purpose``; 401 otherwise."""
    payload, _, signature = token.partition(".")
    try:
        expected = hmac.new(_key(secret, purpose), payload.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(signature)):
            raise ValueError("bad signature")
        claims: dict[str, Any] = json.loads(_unb64(payload))
    except (ValueError, TypeError) as exc:
        raise Unauthorized("This link is not valid") from exc
    if claims.get("exp", 0) < datetime.now(UTC).timestamp():
        raise Unauthorized("This link has expired")
    return claims
