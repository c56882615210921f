"""Timeline (C8): every service's activity events, consumed from NATS, become one feed."""

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import nats
import pytest
from crm_proto import CloudEvent, new_event
from crm_proto.events.activity import CallLogged, DealCreated, EmailOpened, TicketCreated
from crm_testing.service import eventually


@pytest.fixture(scope="module")
async def publish(nats_url, contacts_app):
    """Publish a CloudEvent to JetStream as another service would (no outbox dedupe id,
    so a second publication of the same event really is delivered twice)."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await contacts_app.state.bus.wait_ready(10)  # the CRM stream exists

    async def send(event: CloudEvent) -> None:
        subject = event.type.rsplit(".", 1)[0]
        await js.publish(subject, event.model_dump_json(exclude_none=True).encode())

    yield send
    await nc.close()


def sales_event(tenant: UUID, data, type_: str = "crm.sales.deal.created.v1", *, at=None):
    event = new_event(
        type=type_, source="/crm/sales-service", tenant_id=tenant, data=data, subject=uuid4()
    )
    if at is not None:
        event.time = at
    return event


def deal(contact_id=None, account_id=None, name="Acme renewal") -> DealCreated:
    return DealCreated(
        deal_id=uuid4(),
        name=name,
        stage="proposal",
        amount="12500.00",
        currency="EUR",
        contact_id=contact_id,
        account_id=account_id,
    )


async def timeline(api, path: str, **params) -> list[dict]:
    response = await api.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def test_another_services_event_lands_on_the_contacts_timeline(api, tenant, publish):
    account = (await api.post("/v1/accounts", json={"name": "Acme"})).json()
    contact = (
        await api.post("/v1/contacts", json={"first_name": "Ada", "account_id": account["id"]})
    ).json()
    event = sales_event(tenant, deal(contact_id=contact["id"]))
    await publish(event)

    async def on_timeline():
        lines = await timeline(api, f"/v1/contacts/{contact['id']}/timeline", kind="deal")
        assert len(lines) == 1
        return lines[0]

    line = await eventually(on_timeline)
    assert line["kind"] == "deal" and line["source"] == "sales-service"
    assert line["title"] == "Deal created: Acme renewal"
    assert line["summary"] == "proposal · 12500.00 EUR"
    assert line["event_id"] == event.id and line["event_type"] == "crm.sales.deal.created.v1"
    assert line["contact_id"] == contact["id"] and line["data"]["name"] == "Acme renewal"
    # the account's timeline shows its contacts' activity, unless asked not to
    account_path = f"/v1/accounts/{account['id']}/timeline"
    assert [x["id"] for x in await timeline(api, account_path, kind="deal")] == [line["id"]]
    assert await timeline(api, account_path, kind="deal", include_contacts="false") == []


async def test_the_same_event_delivered_twice_makes_one_line(api, tenant, publish):
    contact = (await api.post("/v1/contacts", json={"first_name": "Bo"})).json()
    twice = sales_event(tenant, deal(contact_id=contact["id"], name="Twice"))
    await publish(twice)
    await publish(twice)
    # Events are handled in stream order: once this later one shows, both copies are done.
    await publish(sales_event(tenant, deal(contact_id=contact["id"], name="Sentinel")))
    path = f"/v1/contacts/{contact['id']}/timeline"

    async def sentinel_seen():
        titles = [x["title"] for x in await timeline(api, path, kind="deal")]
        assert "Deal created: Sentinel" in titles
        return titles

    titles = await eventually(sentinel_seen)
    assert titles.count("Deal created: Twice") == 1


async def test_contacts_own_activity_is_on_the_timeline_and_follows_edits(api):
    contact = (await api.post("/v1/contacts", json={"first_name": "Cy", "last_name": "Po"})).json()
    path = f"/v1/contacts/{contact['id']}/timeline"
    note = (
        await api.post("/v1/notes", json={"body": "first draft", "contact_id": contact["id"]})
    ).json()

    async def lines(expected_kinds):
        got = await timeline(api, path)
        assert sorted(x["kind"] for x in got) == sorted(expected_kinds)
        return got

    got = await eventually(lambda: lines(["record", "note"]))
    assert [x["title"] for x in got if x["kind"] == "record"] == ["Contact created: Cy Po"]
    await api.patch(f"/v1/notes/{note['id']}", json={"body": "final text"})

    async def edited():
        notes = await timeline(api, path, kind="note")
        assert [x["summary"] for x in notes] == ["final text"]  # one line, replaced

    await eventually(edited)
    await api.delete(f"/v1/notes/{note['id']}")
    await eventually(lambda: lines(["record"]))


async def test_filters_by_kind_and_time_newest_first_with_cursor(api, tenant, publish):
    contact = (await api.post("/v1/contacts", json={"first_name": "Di"})).json()
    cid = UUID(contact["id"])
    t0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    await publish(sales_event(tenant, deal(contact_id=cid), at=t0))
    await publish(
        sales_event(
            tenant,
            TicketCreated(
                ticket_id=uuid4(),
                subject="Login fails",
                priority="high",
                channel="email",
                contact_id=cid,
            ),
            "crm.support.ticket.created.v1",
            at=t0 + timedelta(days=1),
        )
    )
    await publish(
        sales_event(
            tenant,
            CallLogged(
                call_id=uuid4(),
                direction="inbound",
                started_at=t0 + timedelta(days=2),
                duration_seconds=61,
                outcome="answered",
                contact_id=cid,
            ),
            "crm.support.call.logged.v1",
        )
    )
    await publish(
        sales_event(
            tenant,
            EmailOpened(message_id=uuid4(), subject="Spring offer", contact_id=cid),
            "crm.marketing.email.opened.v1",
            at=t0 + timedelta(days=3),
        )
    )
    path = f"/v1/contacts/{contact['id']}/timeline"

    async def all_four():
        got = await timeline(api, path, kind=["deal", "ticket", "call", "email"])
        assert len(got) == 4
        return got

    got = await eventually(all_four)
    assert [x["kind"] for x in got] == ["email", "call", "ticket", "deal"]  # newest first
    assert got[1]["occurred_at"].startswith("2026-03-03T12:00")  # the call's own start
    assert got[1]["title"] == "Inbound call" and got[1]["summary"] == "1m 01s · answered"
    assert [x["kind"] for x in await timeline(api, path, kind=["ticket", "deal"])] == [
        "ticket",
        "deal",
    ]
    window = await timeline(
        api,
        path,
        since=(t0 + timedelta(days=1)).isoformat(),
        until=(t0 + timedelta(days=3)).isoformat(),
    )
    assert [x["kind"] for x in window] == ["call", "ticket"]  # since inclusive, until not

    first = await api.get(path, params={"kind": ["deal", "ticket", "call", "email"], "limit": 3})
    body = first.json()
    assert [x["kind"] for x in body["data"]] == ["email", "call", "ticket"]
    rest = await api.get(
        path,
        params={
            "kind": ["deal", "ticket", "call", "email"],
            "limit": 3,
            "cursor": body["next_cursor"],
        },
    )
    assert [x["kind"] for x in rest.json()["data"]] == ["deal"]
    assert rest.json()["next_cursor"] is None
    bad = await api.get(path, params={"kind": "gossip"})
    assert bad.status_code == 422 and "kind" in bad.json()["errors"][0]["field"]


async def test_another_tenants_timeline_is_404_and_their_events_stay_theirs(
    api, other_api, tenant, publish
):
    account = (await api.post("/v1/accounts", json={"name": "Acme"})).json()
    contact = (await api.post("/v1/contacts", json={"first_name": "Ed"})).json()
    assert (await other_api.get(f"/v1/contacts/{contact['id']}/timeline")).status_code == 404
    assert (await other_api.get(f"/v1/accounts/{account['id']}/timeline")).status_code == 404
    # an event of another tenant naming this contact's id does not reach its timeline
    await publish(sales_event(uuid4(), deal(contact_id=contact["id"], name="Foreign")))
    await publish(sales_event(tenant, deal(contact_id=contact["id"], name="Mine")))

    async def mine_seen():
        titles = [
            x["title"]
            for x in await timeline(api, f"/v1/contacts/{contact['id']}/timeline", kind="deal")
        ]
        assert "Deal created: Mine" in titles
        return titles

    assert "Deal created: Foreign" not in await eventually(mine_seen)


async def test_deleting_a_contact_keeps_shared_lines_on_the_account_only(
    api, tenant, publish, contacts_app
):
    from contacts_service.timeline.models import TimelineEntry
    from sqlalchemy import func, select

    account = (await api.post("/v1/accounts", json={"name": "Acme"})).json()
    contact = (await api.post("/v1/contacts", json={"first_name": "Flo"})).json()
    await publish(sales_event(tenant, deal(contact_id=contact["id"], name="Solo")))
    await publish(
        sales_event(tenant, deal(contact_id=contact["id"], account_id=account["id"], name="Both"))
    )
    path = f"/v1/contacts/{contact['id']}/timeline"

    async def both_seen():
        assert len(await timeline(api, path, kind="deal")) == 2

    await eventually(both_seen)
    assert (await api.delete(f"/v1/contacts/{contact['id']}")).status_code == 204

    async def contact_forgotten():
        async with contacts_app.state.sessions() as session:
            left = await session.scalar(
                select(func.count())
                .select_from(TimelineEntry)
                .where(TimelineEntry.tenant_id == tenant, TimelineEntry.contact_id == contact["id"])
            )
        assert left == 0
        lines = await timeline(
            api, f"/v1/accounts/{account['id']}/timeline", kind="deal", include_contacts="false"
        )
        assert [(x["title"], x["contact_id"]) for x in lines] == [("Deal created: Both", None)]

    await eventually(contact_forgotten)


async def test_an_event_naming_a_merged_away_contact_lands_on_the_survivor(api, tenant, publish):
    survivor = (await api.post("/v1/contacts", json={"first_name": "Ada"})).json()
    twin = (await api.post("/v1/contacts", json={"first_name": "Ada L"})).json()
    merged = await api.post(
        "/v1/contacts/merge", json={"primary_id": survivor["id"], "merged_ids": [twin["id"]]}
    )
    assert merged.status_code == 200, merged.text
    # sales-service had not yet seen the merge when it published this
    await publish(sales_event(tenant, deal(contact_id=twin["id"], name="Late deal")))

    async def on_survivor():
        lines = await timeline(api, f"/v1/contacts/{survivor['id']}/timeline", kind="deal")
        assert [x["title"] for x in lines] == ["Deal created: Late deal"]
        assert lines[0]["contact_id"] == survivor["id"]

    await eventually(on_survivor)
