"""Chassis tests run on a scratch database holding a test model and the chassis tables."""

from collections.abc import AsyncIterator
from decimal import Decimal
from uuid import UUID

import pytest
from crm_chassis.bus import Bus
from crm_chassis.db import create_engine, session_factory
from crm_chassis.money import Amount
from crm_chassis.orm import Entity, Owned, new_metadata
from crm_chassis.tables import infra_metadata
from crm_local.postgres import create_database, database_url, drop_database
from crm_testing import truncate_all
from sqlalchemy import Float, Numeric, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = new_metadata()


class Widget(Entity, Base):
    __tablename__ = "widgets"
    name: Mapped[str] = mapped_column(String(100))


class Case(Entity, Owned, Base):
    """An owned record with JSON and a column named otherwise than its attribute."""

    __tablename__ = "cases"
    title: Mapped[str] = mapped_column(String(100))
    details: Mapped[dict] = mapped_column("details_json", JSONB, default=dict)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(19, 4), nullable=True)
    fee: Mapped[Decimal | None] = mapped_column(Amount(), nullable=True)
    ratio: Mapped[float | None] = mapped_column(Numeric(6, 3, asdecimal=False), nullable=True)
    weight: Mapped[float | None] = mapped_column(Float, nullable=True)


class Effect(Base):
    """What a test consumer or job did, one row per effect."""

    __tablename__ = "effects"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(100))
    tenant_id: Mapped[UUID | None]


@pytest.fixture(scope="session")
async def chassis_engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    drop_database(postgres_url, "chassis_tests")
    create_database(postgres_url, "chassis_tests")
    engine = create_engine(database_url(postgres_url, "chassis_tests"))
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
        await conn.run_sync(infra_metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
async def bus(nats_factory) -> AsyncIterator[Bus]:
    """A connected :class:`Bus` on a nats-server of this test alone."""
    bus = Bus(nats_factory().url, name="test")
    await bus.start()
    await bus.wait_ready(timeout=10)
    yield bus
    await bus.close()


@pytest.fixture
async def sessions(chassis_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    await truncate_all(chassis_engine)
    return session_factory(chassis_engine)
