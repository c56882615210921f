"""Token buckets shared by every gateway replica, kept in PostgreSQL.

One UPDATE per request takes a token if one is there: the refill since the bucket's
last use is computed in the same UPDATE, under the row's lock, so concurrent requests on
any replica never take the same token twice. The database clock is the one clock, so
replicas need not agree on the time.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

# The level the bucket has refilled to by now, from the row's old values.
_LEVEL = "LEAST(:capacity, tokens + EXTRACT(EPOCH FROM clock_timestamp() - updated_at) * :rate)"
# tokens: what is left after this request; denied: whether it found no token to take.
_UPDATE = text(
    f"""
    UPDATE rate_buckets SET
        tokens = CASE WHEN {_LEVEL} >= 1 THEN {_LEVEL} - 1 ELSE {_LEVEL} END,
        denied = {_LEVEL} < 1,
        updated_at = clock_timestamp()
    WHERE key = :key
    RETURNING tokens, denied
    """
)
_INSERT = text(
    """
    INSERT INTO rate_buckets (key, tokens, denied, updated_at)
    VALUES (:key, :capacity - 1, false, clock_timestamp())
    ON CONFLICT (key) DO NOTHING
    RETURNING tokens, denied
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


class Buckets:
    """Takes tokens from the shared buckets."""

    def __init__(self, engine: AsyncEngine) -> None:
        # Autocommit: each take is its own short transaction, holding the row lock only
        # for the one statement.
        self.engine = engine.execution_options(isolation_level="AUTOCOMMIT")

    async def take(self, policy: Policy, key: str) -> Taken:
        params = {"key": policy.bucket(key), "capacity": policy.capacity, "rate": policy.rate}
        async with self.engine.connect() as conn:
            row = (await conn.execute(_UPDATE, params)).first()
            if row is None:  # the bucket's first use
                row = (await conn.execute(_INSERT, params)).first()
            if row is None:  # another replica created it just now: take from it
                row = (await conn.execute(_UPDATE, params)).one()
        return Taken(policy, not row.denied, float(row.tokens))
