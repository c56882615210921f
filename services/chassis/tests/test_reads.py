"""The one-round-trip read by id gives what the ORM gives, to whom the ORM gives it."""

from datetime import datetime
from decimal import Decimal
from itertools import product
from uuid import UUID, uuid4

from crm_chassis.auth import Actor
from crm_chassis.reads import RecordReader
from crm_chassis.repository import TenantRepository
from pydantic import BaseModel, ConfigDict

from .conftest import Case, Widget


class CaseRepository(TenantRepository[Case]):
    model = Case


class CaseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    title: str
    details: dict
    amount: Decimal | None
    fee: Decimal | None
    ratio: float | None
    weight: float | None
    owner_id: UUID | None
    team_id: UUID | None
    version: int
    created_at: datetime


def test_a_schema_showing_more_than_columns_or_a_child_model_reads_through_the_orm() -> None:
    class WithExtra(CaseRead):
        summary: str

    assert RecordReader.for_model(Case, list(CaseRead.model_fields)) is not None
    assert RecordReader.for_model(Case, list(WithExtra.model_fields)) is None
    assert RecordReader.for_model(Widget, ["id"], has_parents=True) is None


async def test_every_visibility_sees_through_the_reader_what_it_sees_through_the_orm(
    sessions, chassis_engine
) -> None:
    tenant, other_tenant = uuid4(), uuid4()
    alice, bob = uuid4(), uuid4()
    red, blue = uuid4(), uuid4()
    cases = []
    async with sessions() as s, s.begin():
        for owner, team in product([alice, bob, None], [red, blue, None]):
            cases.append(
                await CaseRepository(s, tenant).add(
                    Case(
                        tenant_id=tenant,
                        title=f"{owner}-{team}",
                        details={"nested": [1, "two", None]},
                        amount=Decimal("12.3400"),
                        fee=Decimal("0.5") if owner else None,
                        ratio=0.125 if team else None,
                        weight=2.5 if owner else None,
                        owner_id=owner,
                        team_id=team,
                    )
                )
            )
        theirs = await CaseRepository(s, other_tenant).add(
            Case(tenant_id=other_tenant, title="theirs", owner_id=alice)
        )
    actors = [
        Actor(tenant_id=tenant, user_id=alice, visibility="own"),
        Actor(tenant_id=tenant, user_id=alice, visibility="team", team_ids=frozenset({red})),
        Actor(tenant_id=tenant, user_id=alice, visibility="team", team_ids=frozenset({red, blue})),
        Actor(tenant_id=tenant, user_id=alice, visibility="team"),  # no team: own
        Actor(tenant_id=tenant, user_id=bob, visibility="all"),
        Actor.system(tenant),
    ]
    reader = RecordReader(Case)
    for actor in actors:
        seen = 0
        for case in [*cases, theirs]:
            record = await reader.one(chassis_engine, actor, case.id)
            async with sessions() as s:
                entity = await CaseRepository(s, actor).get(case.id)
            assert (record is None) == (entity is None), (actor, case.title)
            if entity is not None:
                seen += 1
                assert CaseRead.model_validate(record) == CaseRead.model_validate(entity)
                for key in reader.keys:  # the very values and types the ORM loads
                    mine, orm = getattr(record, key), getattr(entity, key)
                    assert mine == orm, key
                    # asyncpg's UUID is a subclass of uuid.UUID; every other type is the same
                    assert type(mine) is type(orm) or isinstance(orm, UUID), key
        assert 0 < seen <= len(cases)
    assert await reader.one(chassis_engine, Actor.system(tenant), uuid4()) is None
