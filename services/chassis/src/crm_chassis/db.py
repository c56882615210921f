"""The async SQLAlchemy engine and sessions on PostgreSQL (asyncpg).

A request gets one session (:data:`SessionDep`). A write (any method but GET and HEAD)
commits once after the endpoint returns without error, so the state change and its
outbox rows land together or not at all. A read runs on an AUTOCOMMIT connection: each
statement is its own round trip, with no BEGIN and COMMIT around it (a read has nothing
to commit, and under READ COMMITTED every statement takes its own snapshot anyway).
Service functions never commit.

Fail fast: connecting, waiting for a pooled connection and every statement are bounded
(``ServiceSettings.db_*_timeout``); a stalled or dead database surfaces as an error that
:mod:`crm_chassis.errors` answers with 503. There is no pre-ping: a connection that died
while pooled fails its first statement, SQLAlchemy then discards every connection of the
pool opened before it, and the request is answered 503 (the client retries).
"""

from __future__ import annotations

import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

if TYPE_CHECKING:
    from crm_chassis.settings import ServiceSettings

READ_METHODS = frozenset({"GET", "HEAD"})

BeforeCommit = Callable[[AsyncSession], Awaitable[None]]
before_commit: contextvars.ContextVar[BeforeCommit | None] = contextvars.ContextVar(
    "crm_before_commit", default=None
)
"""Work a middleware adds to the request's transaction (idempotency's committed marker):
awaited with the session right before the request's commit, so it commits with it."""


def create_engine(
    url: str,
    *,
    pool_size: int = 20,
    pool_overflow: int = 0,
    pool_timeout: float = 2.0,
    connect_timeout: float = 2.0,
    statement_timeout: float = 3.0,
    pool_recycle: float = 1800.0,
) -> AsyncEngine:
    """An engine on ``url`` (``postgresql+asyncpg://``) with a bounded pool and timeouts.

    ``statement_timeout`` is set twice: in the server (PostgreSQL cancels a statement that
    runs longer) and in asyncpg as ``command_timeout``, a little later, which is the one
    that fires when the server does not answer at all (stalled, or the network is gone).
    """
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_overflow,
        pool_timeout=pool_timeout,
        pool_recycle=pool_recycle,
        pool_pre_ping=False,
        connect_args={
            "timeout": connect_timeout,
            "command_timeout": statement_timeout + 0.5,
            "server_settings": {
                "application_name": "crm",
                "timezone": "UTC",
                "statement_timeout": str(int(statement_timeout * 1000)),
            },
        },
    )
    event.listen(engine.sync_engine, "handle_error", _drop_unanswered_connection)
    return engine


def _drop_unanswered_connection(context: ExceptionContext) -> None:
    """A statement the server never answered (asyncpg's ``command_timeout``): close its
    connection at once and treat it as a disconnect, so the pool discards its other
    connections too (they are most likely stuck on the same server). Without this,
    SQLAlchemy closes it politely, waiting two more seconds for the silent server."""
    if not isinstance(context.original_exception, TimeoutError) or context.connection is None:
        return
    pooled = context.connection.connection.dbapi_connection
    driver = getattr(pooled, "driver_connection", None)
    if driver is not None:
        driver.terminate()
    context.is_disconnect = True


def engine_for(settings: ServiceSettings) -> AsyncEngine:
    """The engine of a service, sized and bounded by its settings."""
    return create_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        pool_overflow=settings.db_pool_overflow,
        pool_timeout=settings.db_pool_timeout,
        connect_timeout=settings.db_connect_timeout,
        statement_timeout=settings.db_statement_timeout,
        pool_recycle=settings.db_pool_recycle,
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session whose work commits on success and rolls back on any exception."""
    async with factory() as session, session.begin():
        yield session


def read_engine_of(state: Any) -> AsyncEngine:
    """The app's engine of reads (``state`` is ``app.state``), made on first use."""
    engine = getattr(state, "read_engine", None)
    if engine is None:
        engine = state.read_engine = read_engine(state.sessions.kw["bind"])
    return engine


def read_session(state: Any) -> AsyncSession:
    """A session of the app's on AUTOCOMMIT connections: a read's (``async with``)."""
    factory: async_sessionmaker[AsyncSession] = state.sessions
    return factory(bind=read_engine_of(state))


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    factory: async_sessionmaker[AsyncSession] = request.app.state.sessions
    if request.method in READ_METHODS:
        async with read_session(request.app.state) as session:
            yield session
        return
    async with factory() as session:
        try:
            yield session
            if session.in_transaction():
                extra = before_commit.get()
                if extra is not None:
                    await extra(session)
                await session.commit()
                wake = getattr(request.app.state, "after_commit", None)
                if wake is not None:
                    wake()
        except BaseException:
            await session.rollback()
            raise


def read_engine(engine: AsyncEngine) -> AsyncEngine:
    """``engine`` on AUTOCOMMIT connections, sharing its pool: the engine of reads."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


# scope="function": the commit happens before the response is sent, so a client never
# reads a 201 for a write that then fails to commit.
SessionDep = Annotated[AsyncSession, Depends(_request_session, scope="function")]
"""The request's session; committed by the chassis when a write's endpoint succeeds."""

__all__ = [
    "SessionDep",
    "before_commit",
    "create_engine",
    "engine_for",
    "read_engine",
    "session_factory",
    "transaction",
]
