"""The dead-letter admin endpoint of a service app: list a tenant's letters, replay one."""

from contextlib import asynccontextmanager
from uuid import UUID, uuid4

from crm_chassis.app import create_service_app
from crm_chassis.consumer import Consumer
from crm_chassis.settings import ServiceSettings
from crm_chassis.tables import inbox
from crm_local.postgres import database_url
from crm_testing.service import bearer, client, eventually, running
from sqlalchemy import func, select

from .conftest import Effect
from .consuming import dead_letters, effects, publish_raw
from .events import an_event

TYPE = "crm.contacts.contact.deleted.v1"
LETTERS = "/v1/admin/dead-letters"


class Switch:
    """A handler that fails while ``broken``, as one waiting for a fix would."""

    def __init__(self) -> None:
        self.broken = True

    async def __call__(self, session, event) -> None:
        if self.broken:
            raise RuntimeError("the downstream record is missing")
        session.add(Effect(key=event.id, tenant_id=event.tenantid))


@asynccontextmanager
async def service(postgres_url, nats_factory, handler):
    settings = ServiceSettings(
        database_url=database_url(postgres_url, "chassis_tests"), nats_url=nats_factory().url
    )
    consumer = Consumer("test-admin-dlq", {TYPE: handler}, max_deliver=1)
    app = create_service_app(
        name="chassis-admin-test", settings=settings, routers=[], consumers=[consumer]
    )
    async with running(app), client(app) as http:
        await app.state.bus.wait_ready(timeout=10)
        yield app, http


async def dead_lettered(bus, count):
    async def check():
        assert await dead_letters(bus) == count

    await eventually(check)


async def test_a_dead_letter_is_listed_over_http_and_replayed_once(
    sessions, postgres_url, nats_factory
):
    switch = Switch()
    async with service(postgres_url, nats_factory, switch) as (app, http):
        settings, bus = app.state.settings, app.state.bus
        tenant = uuid4()
        admin = bearer(settings, tenant)
        event = an_event(tenant)
        await publish_raw(bus, event)
        await dead_lettered(bus, 1)

        listed = await http.get(LETTERS, headers=admin)
        assert listed.status_code == 200, listed.text
        [letter] = listed.json()["data"]
        assert listed.json()["next_cursor"] is None
        assert letter["consumer"] == "test-admin-dlq"
        assert letter["subject"] == "crm.contacts.contact.deleted"
        assert letter["event"]["id"] == event.id
        assert "the downstream record is missing" in letter["error"]

        other = bearer(settings, uuid4())
        assert (await http.get(LETTERS, headers=other)).json()["data"] == []
        replay = f"{LETTERS}/{letter['seq']}/replay"
        assert (await http.post(replay, headers=other)).status_code == 404
        reader = bearer(settings, tenant, scopes=["contacts:read"])
        assert (await http.get(LETTERS, headers=reader)).status_code == 403

        switch.broken = False
        replayed = await http.post(replay, headers=admin)
        assert replayed.status_code == 202, replayed.text
        assert replayed.json()["event"]["id"] == event.id

        async def applied():
            assert await effects(sessions) == [event.id]

        await eventually(applied)
        assert await dead_letters(bus) == 0
        assert (await http.get(LETTERS, headers=admin)).json()["data"] == []
        again = await http.post(replay, headers=admin)
        assert again.status_code == 404
        assert again.headers["content-type"] == "application/problem+json"
    async with sessions() as s:
        rows = await s.execute(
            select(func.count()).select_from(inbox).where(inbox.c.event_id == UUID(event.id))
        )
        assert rows.scalar_one() == 1
    assert await effects(sessions) == [event.id]  # once, after the app has stopped too


async def test_dead_letters_are_listed_page_by_page(sessions, postgres_url, nats_factory):
    async with service(postgres_url, nats_factory, Switch()) as (app, http):
        tenant = uuid4()
        admin = bearer(app.state.settings, tenant)
        events = [an_event(tenant) for _ in range(3)]
        for event in [*events, an_event()]:  # and one of another tenant
            await publish_raw(app.state.bus, event)
        await dead_lettered(app.state.bus, 4)

        first = (await http.get(LETTERS, params={"limit": 2}, headers=admin)).json()
        assert [x["event"]["id"] for x in first["data"]] == [e.id for e in events[:2]]
        params = {"limit": 2, "cursor": first["next_cursor"]}
        second = (await http.get(LETTERS, params=params, headers=admin)).json()
        assert [x["event"]["id"] for x in second["data"]] == [events[2].id]
        assert second["next_cursor"] is None

        bad = await http.get(LETTERS, params={"cursor": "x"}, headers=admin)
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"
        assert (await http.post(f"{LETTERS}/abc/replay", headers=admin)).status_code == 422
