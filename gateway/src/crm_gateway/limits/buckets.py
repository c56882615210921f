"""Token buckets shared by every gateway replica, kept in PostgreSQL, leased in batches.

A replica takes tokens from a shared bucket in one UPDATE that computes the refill since
the bucket's last use under the row's lock, so concurrent replicas never take the same
token twice and the database clock is the one clock. To keep a round trip off most
requests, a replica takes up to :attr:`Policy.lease` tokens at once and spends them
locally for at most ``lease_seconds``; tokens left when a lease runs out are dropped, so
the replicas together never admit more than the bucket holds (they may admit a little
less, by at most one lease each).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

# The level the bucket has refilled to by now, from the row's old values.
_LEVEL = (
    "LEAST(CAST(:capacity AS float8), tokens"
    " + CAST(EXTRACT(EPOCH FROM clock_timestamp() - updated_at) AS float8) * CAST(:rate AS float8))"
)
_GRANT = f"CASE WHEN {_LEVEL} >= 1 THEN LEAST(CAST(:want AS integer), FLOOR({_LEVEL})) ELSE 0 END"
# tokens: what is left after this take; granted: how many it took (0: the bucket is empty).
_UPDATE = text(
    f"""
    UPDATE rate_buckets SET
        tokens = {_LEVEL} - {_GRANT},
        granted = {_GRANT},
        updated_at = clock_timestamp()
    WHERE key = :key
    RETURNING tokens, granted
    """
)
_INSERT = text(
    """
    INSERT INTO rate_buckets (key, tokens, granted, updated_at)
    VALUES (:key, CAST(:capacity AS float8) - CAST(:want AS integer), :want, clock_timestamp())
    ON CONFLICT (key) DO NOTHING
    RETURNING tokens, granted
    """
)


@dataclass(frozen=True)
class Policy:
    """A bucket of ``capacity`` tokens refilled at ``capacity`` per ``window`` seconds."""

    name: str
    capacity: int
    window: float

    @property
    def rate(self) -> float:
        return self.capacity / self.window

    @property
    def lease(self) -> int:
        """Tokens a replica takes at once: a tenth of a second's refill, at most 1 % of
        the bucket (1 for small buckets: every request asks the shared bucket)."""
        return max(1, min(self.capacity // 100, math.floor(self.rate / 10), 1000))

    def bucket(self, key: str) -> str:
        """The row of ``key`` under this policy: a changed policy starts full buckets."""
        return f"{self.name}/{self.capacity}/{self.window:g}:{key}"


@dataclass(frozen=True)
class Taken:
    """The outcome of one request against one bucket."""

    policy: Policy
    allowed: bool
    remaining: float

    @property
    def retry_after(self) -> float:
        """Seconds until a token is there (0 when one is)."""
        return max(0.0, (1 - self.remaining) / self.policy.rate)

    @property
    def reset(self) -> float:
        """Seconds until the bucket is full again."""
        return max(0.0, (self.policy.capacity - self.remaining) / self.policy.rate)


@dataclass
class _Lease:
    tokens: int
    shared: float  # what the shared bucket held after the take
    until: float


class Buckets:
    """Takes tokens from the shared buckets, through this replica's leases."""

    def __init__(
        self, engine: AsyncEngine, *, lease_seconds: float = 1.0, max_leases: int = 10_000
    ) -> None:
        # Autocommit: each take is its own short transaction, holding the row lock only
        # for the one statement.
        self.engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.lease_seconds = lease_seconds
        self.max_leases = max_leases
        self._leases: dict[str, _Lease] = {}

    async def take(self, policy: Policy, key: str) -> Taken:
        bucket = policy.bucket(key)
        now = time.monotonic()
        lease = self._leases.get(bucket)
        if lease is not None and lease.tokens > 0 and lease.until > now:
            lease.tokens -= 1
            return Taken(policy, True, lease.shared + lease.tokens)
        tokens, granted = await self._take_shared(policy, bucket)
        if granted > 1:
            if len(self._leases) >= self.max_leases:
                self._leases.clear()  # rare; dropping leases only under-admits
            self._leases[bucket] = _Lease(granted - 1, tokens, now + self.lease_seconds)
        else:
            self._leases.pop(bucket, None)
        return Taken(policy, granted >= 1, tokens + max(0, granted - 1))

    async def _take_shared(self, policy: Policy, bucket: str) -> tuple[float, int]:
        params = {
            "key": bucket,
            "capacity": policy.capacity,
            "rate": policy.rate,
            "want": min(policy.lease, policy.capacity),
        }
        async with self.engine.connect() as conn:
            row = (await conn.execute(_UPDATE, params)).first()
            if row is None:  # the bucket's first use
                row = (await conn.execute(_INSERT, params)).first()
            if row is None:  # another replica created it just now: take from it
                row = (await conn.execute(_UPDATE, params)).one()
        return float(row.tokens), int(row.granted)
