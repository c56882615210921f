"""Money columns on real PostgreSQL: every amount the proto type accepts comes back equal,
and what NUMERIC(19, 4) would round is refused before it reaches the database."""

from decimal import Decimal

import pytest
from crm_chassis.money import canonical, money_column
from crm_proto import Money
from sqlalchemy import func, select
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Priced(Base):
    __tablename__ = "priced_things"
    id: Mapped[int] = mapped_column(primary_key=True)
    price: Mapped[Money] = money_column("price")
    discount: Mapped[Money | None] = money_column("discount", nullable=True)


@pytest.fixture
async def session(chassis_engine):
    async with chassis_engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    async with chassis_engine.connect() as conn, AsyncSession(bind=conn) as s:
        yield s  # never committed: the test's rows are rolled back


VALUES = [
    Money.of("12.30", "EUR"),
    Money.of("0.125", "EUR"),
    Money.of("-0.0001", "CLF"),
    Money.of("1.234", "BHD"),
    Money.of("5", "JPY"),
    Money.of("100", "JPY"),
    Money.of("999999999999999.9999", "USD"),
    Money.of("-999999999999999.9999", "USD"),
    Money.of("0", "EUR"),
]


async def test_every_amount_round_trips_exactly(session):
    session.add_all(
        Priced(id=i, price=m, discount=m if i % 2 else None) for i, m in enumerate(VALUES)
    )
    await session.flush()
    session.expunge_all()
    rows = (await session.execute(select(Priced).order_by(Priced.id))).scalars().all()
    assert [r.price for r in rows] == VALUES
    assert [r.discount for r in rows] == [m if i % 2 else None for i, m in enumerate(VALUES)]
    # the canonical form: the currency's minor unit at least, never NUMERIC's 4 places
    assert [str(r.price) for r in rows[:2]] == ["12.30 EUR", "0.125 EUR"]
    assert str(rows[5].price) == "100 JPY"
    total = await session.execute(
        select(func.sum(Priced.__table__.c.price_amount)).where(
            Priced.__table__.c.price_currency == "EUR"
        )
    )
    assert total.scalar_one() == Decimal("12.425")


async def test_the_columns_are_numeric_and_char(session):
    price = Priced.__table__.c.price_amount
    assert (price.type.impl.precision, price.type.impl.scale) == (19, 4)
    assert str(Priced.__table__.c.price_currency.type) == "CHAR(3)"


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (0.5, "not float"),
        (True, "not bool"),
        (Decimal("0.00001"), "more than 4 decimals"),
        (Decimal("1E+15"), "more than 15 integer digits"),
        (Decimal("NaN"), "finite"),
    ],
)
async def test_what_the_column_would_round_or_overflow_is_refused(session, amount, message):
    row = Priced(id=99, price=Money.of("1", "EUR"))
    session.add(row)
    await session.flush()
    statement = Priced.__table__.update().values(price_amount=amount)
    with pytest.raises(StatementError, match=message):
        await session.execute(statement)


def test_canonical_keeps_the_number_and_shows_the_minor_unit():
    assert str(canonical(Decimal("12.3000"), "EUR")) == "12.30"
    assert str(canonical(Decimal("0.1250"), "EUR")) == "0.125"
    assert str(canonical(Decimal("100.0000"), "JPY")) == "100"
    assert str(canonical(Decimal("0.0000"), "BHD")) == "0.000"
    assert str(canonical(Decimal("7.0000"), "CLF")) == "7.0000"
