"""API key material: generation, the stored hash, the visible prefix."""

from __future__ import annotations

import hashlib
import secrets

KEY_PREFIX = "crm_"


def generate_key() -> str:
    """A new secret key: ``crm_`` and 256 random bits, URL-safe."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """The stored form of ``key``: SHA-256, hex.

    A fast hash suffices: generated keys carry 256 bits of entropy, so there is nothing
    to brute-force (unlike passwords, which would need a slow hash).
    """
    return hashlib.sha256(key.encode()).hexdigest()


def visible_prefix(key: str) -> str:
    """The part of ``key`` safe to show in listings: at most 12 characters, and never
    more than a third of a short operator-chosen key."""
    return key[: min(12, len(key) // 3)]
