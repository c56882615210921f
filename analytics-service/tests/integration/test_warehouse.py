"""The warehouse fed from NATS: every event loaded once; a rebuild gives the same figures."""

from uuid import uuid4

import nats
import pytest
from analytics_factories import deal_created, order, stage_changed
from crm_proto import CloudEvent
from crm_testing.service import eventually


@pytest.fixture(scope="module")
async def publish(nats_url, analytics_app):
    """Publish CloudEvents to JetStream as the other services' relays do."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await analytics_app.state.bus.wait_ready(10)

    async def send(*events: CloudEvent, dedupe: bool = True) -> None:
        for event in events:
            headers = {"Nats-Msg-Id": event.id} if dedupe else None
            subject = event.type.rsplit(".", 1)[0]
            await js.publish(subject, event.model_dump_json().encode(), headers=headers)

    yield send
    await nc.close()


async def status(api) -> dict:
    response = await api.get("/v1/warehouse/status")
    assert response.status_code == 200, response.text
    return response.json()


async def test_events_reach_the_warehouse_once_even_when_delivered_twice(api, tenant, publish):
    owner = uuid4()
    deal = uuid4()
    events = [
        order(tenant, uuid4(), "120.00"),
        deal_created(tenant, deal, amount="900.00", owner=owner),
        stage_changed(tenant, deal, "won", won=True),
    ]
    await publish(*events)
    await publish(*events, dedupe=False)  # the stream now holds each twice

    async def loaded():
        body = await status(api)
        assert body["events"] == 3
        assert body["facts"]["fact_order"] == 1
        assert body["facts"]["fact_deal_stage_change"] == 1
        return body

    await eventually(loaded)


async def test_loaded_facts_reach_parquet_on_their_own(api, tenant, publish, analytics_app):
    """No call asks for it: the job the consumer schedules writes the changed partitions."""
    import duckdb

    await publish(order(tenant, uuid4(), "42.00"))
    table = analytics_app.state.settings.parquet_path / "fact_order"

    async def written():
        files = list(table.glob(f"tenant_id={tenant}/year=2026/month=1/*.parquet"))
        assert files
        return (
            duckdb.connect()
            .execute(
                f"SELECT sum(total)::VARCHAR FROM read_parquet('{table}/**/*.parquet', "
                f"hive_partitioning = true) WHERE tenant_id = '{tenant}'"
            )
            .fetchone()[0]
        )

    assert await eventually(written, within=30) == "42.0000"


async def test_another_tenant_sees_none_of_it(api, other_api, tenant, publish):
    await publish(order(tenant, uuid4(), "5.00"))
    await eventually(lambda: _events_are(api, 1))
    assert (await status(other_api))["events"] == 0


async def _events_are(api, n: int) -> None:
    assert (await status(api))["events"] == n


async def test_rebuild_replays_the_stream_into_a_fresh_file_with_progress(
    api, tenant, publish, analytics_app
):
    await publish(order(tenant, uuid4(), "7.00"), order(tenant, uuid4(), "8.00"))
    await eventually(lambda: _events_are(api, 2))
    before = await status(api)

    started = await api.post("/v1/warehouse/rebuild")
    assert started.status_code == 202, started.text
    location = started.headers["Location"]

    async def finished():
        body = (await api.get(location)).json()
        assert body["status"] == "succeeded", body
        return body

    done = await eventually(finished, within=60)
    assert done["progress"] == 1.0 and done["result"]["swapped"] is True
    # The tables were emptied by the test's tenant reset, not the stream: the replay brings
    # back every tenant's events, this one's among them, with the same figures.
    after = await status(api)
    assert after["facts"] == before["facts"] and after["events"] == before["events"]


async def test_rebuild_needs_the_admin_scope(analytics_app, tenant):
    from crm_testing.service import bearer, client

    headers = bearer(analytics_app.state.settings, tenant, scopes=["analytics:read"])
    async with client(analytics_app, **headers) as reader:
        response = await reader.post("/v1/warehouse/rebuild")
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
