"""The gateway's rotating signing keys (RS256) and the key set it publishes.

Keys live in the gateway's database, so every replica signs with the same current key
and publishes the same set. The newest key signs; a new one is made once it is older
than ``rotate_after``; older keys stay published for ``keep_for`` after they stopped
signing, longer than any token they signed lives, and are then deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import datetime, timedelta
from typing import Any

from crm_chassis.auth import Actor, KeySet, SigningKey, issue_token
from crm_chassis.db import transaction
from crm_chassis.ids import new_id
from crm_chassis.orm import utcnow
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import DateTime, String, Text, delete, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from crm_gateway.base import Base
from crm_gateway.settings import GatewaySettings

log = logging.getLogger("crm.gateway.signing")
ALGORITHM = "RS256"
_ROTATE_LOCK = 0x63726D5F6B657973


class SigningKeyRow(Base):
    """One key of the set: the private half never leaves the gateway's database."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(16))
    private_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def _new_key() -> SigningKeyRow:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    kid = str(new_id())
    jwk = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    jwk.update({"kid": kid, "alg": ALGORITHM, "use": "sig"})
    return SigningKeyRow(kid=kid, algorithm=ALGORITHM, private_pem=pem, public_jwk=jwk)


async def current_keys(
    session: AsyncSession, *, rotate_after: timedelta, keep_for: timedelta
) -> list[SigningKeyRow]:
    """The published keys, newest (the signing one) first, rotating if it is due."""
    await session.execute(select(func.pg_advisory_xact_lock(_ROTATE_LOCK)))
    keys = list(
        (await session.execute(select(SigningKeyRow).order_by(SigningKeyRow.created_at.desc())))
        .scalars()
        .all()
    )
    now = utcnow()
    if not keys or keys[0].created_at <= now - rotate_after:
        fresh = _new_key()
        session.add(fresh)
        await session.flush()
        keys.insert(0, fresh)
        log.info("signing key %s created", fresh.kid)
    # A key stops signing when the next one is made; it is kept ``keep_for`` after that.
    kept = [keys[0]]
    for older, newer in zip(keys[1:], keys, strict=False):
        if newer.created_at > now - keep_for:
            kept.append(older)
    gone = [k.kid for k in keys if k not in kept]
    if gone:
        await session.execute(delete(SigningKeyRow).where(SigningKeyRow.kid.in_(gone)))
    return kept


class Signer:
    """Issues the gateway's tokens and holds the key set it publishes and trusts."""

    def __init__(self, settings: GatewaySettings, keys: KeySet) -> None:
        self.settings = settings
        self.keys = keys
        self.jwks: dict[str, Any] = {"keys": []}
        self._signing: SigningKey | None = None

    def issue(self, actor: Actor, *, ttl_seconds: int) -> str:
        """A token for ``actor``: RS256 with the current key when the gateway signs with
        its key set (``token_algorithm``), HS256 with the shared secret otherwise."""
        key = self._signing if self.settings.token_algorithm == ALGORITHM else None
        return issue_token(actor, self.settings, ttl_seconds=ttl_seconds, key=key)

    def load(self, rows: list[SigningKeyRow]) -> None:
        self.jwks = {"keys": [r.public_jwk for r in rows]}
        self.keys.replace(self.jwks)
        newest = rows[0]
        private = serialization.load_pem_private_key(newest.private_pem.encode(), None)
        self._signing = SigningKey(newest.kid, newest.algorithm, private)

    @property
    def kid(self) -> str | None:
        return self._signing.kid if self._signing else None

    async def refresh(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        """Rotate if due and load the current set."""
        rotate_after = timedelta(seconds=self.settings.signing_key_rotate_seconds)
        keep_for = timedelta(seconds=self.settings.token_ttl_seconds * 2 + 300)
        async with transaction(sessions) as session:
            rows = await current_keys(session, rotate_after=rotate_after, keep_for=keep_for)
        self.load(rows)

    async def keep_fresh(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        """Refresh every so often until cancelled (another replica may have rotated)."""
        every = max(1.0, min(60.0, self.settings.signing_key_rotate_seconds / 10))
        while True:
            await asyncio.sleep(every)
            with contextlib.suppress(Exception):
                await self.refresh(sessions)
