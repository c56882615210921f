"""The async SQLAlchemy engine and sessions on PostgreSQL (asyncpg).

A request gets one session (:data:`SessionDep`); it commits once after the endpoint returns
without error, so the state change and its outbox rows land together or not at all.
Service functions never commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """An engine on ``url`` (``postgresql+asyncpg://``) with a bounded pool."""
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args={"server_settings": {"application_name": "crm", "timezone": "UTC"}},
    )
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session whose work commits on success and rolls back on any exception."""
    async with factory() as session, session.begin():
        yield session


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    factory: async_sessionmaker[AsyncSession] = request.app.state.sessions
    async with factory() as session:
        try:
            yield session
            if session.in_transaction():
                await session.commit()
                wake = getattr(request.app.state, "after_commit", None)
                if wake is not None:
                    wake()
        except BaseException:
            await session.rollback()
            raise


# scope="function": the commit happens before the response is sent, so a client never
# reads a 201 for a write that then fails to commit.
SessionDep = Annotated[AsyncSession, Depends(_request_session, scope="function")]
"""The request's session; committed by the chassis when the endpoint succeeds."""

__all__ = ["SessionDep", "create_engine", "session_factory", "transaction"]
