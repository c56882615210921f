"""Signed tokens in links: open pixels, click redirects, unsubscribe and preference links.

A token is ``<payload>.<mac>``: the payload is compact JSON in URL-safe base64, the MAC an
HMAC-SHA256 over the token's purpose and the payload. A token whose MAC does not match
(tampered, truncated, or made for another purpose) is None, which endpoints answer 404:
a click link never redirects anywhere its sender did not write.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

MAC_BYTES = 16


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, purpose: str, body: str) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}:{body}".encode(), hashlib.sha256).digest()
    return _b64(digest[:MAC_BYTES])


def sign(secret: str, purpose: str, payload: dict[str, Any]) -> str:
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_mac(secret, purpose, body)}"


def verify(secret: str, purpose: str, token: str) -> dict[str, Any] | None:
    """The payload of a token signed for ``purpose``, or None."""
    body, dot, mac = token.partition(".")
    if not dot or not hmac.compare_digest(mac, _mac(secret, purpose, body)):
        return None
    try:
        payload = json.loads(_unb64(body))
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None
