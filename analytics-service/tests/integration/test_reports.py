"""Reports on hand-built data: every figure below is counted by hand."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from analytics_factories import T0, contact, deal_created, event, order, stage_changed, ticket
from analytics_service.reports.catalog import REPORTS
from crm_testing.service import bearer, client

ALICE, BOB = uuid4(), uuid4()


@pytest.fixture
async def load(analytics_app):
    async def send(*events):
        await analytics_app.state.runtime.warehouse.load(list(events))

    return send


async def report(api, name, **params):
    response = await api.get(f"/v1/reports/{name}", params=params)
    assert response.status_code == 200, response.text
    return response.json()["data"]


@pytest.fixture
async def deals(load, tenant):
    """Alice: one won in 10 days, one lost, one open (500); Bob: one won in 20 days, one
    open (250) and one open in USD (99)."""
    d = [uuid4() for _ in range(6)]
    await load(
        deal_created(tenant, d[0], amount="1000", owner=ALICE),
        deal_created(tenant, d[1], amount="300", owner=ALICE),
        deal_created(tenant, d[2], amount="500", owner=ALICE),
        deal_created(tenant, d[3], amount="2000", owner=BOB),
        deal_created(tenant, d[4], amount="250", owner=BOB),
        deal_created(tenant, d[5], amount="99", owner=BOB, currency="USD"),
    )
    await load(
        stage_changed(tenant, d[0], "won", won=True, at=T0 + timedelta(days=10)),
        stage_changed(tenant, d[1], "lost", won=False, at=T0 + timedelta(days=3)),
        stage_changed(tenant, d[3], "won", won=True, at=T0 + timedelta(days=20)),
        stage_changed(tenant, d[4], "proposal", frm="qualification"),
    )


async def test_pipeline_by_stage_and_owner_keeps_currencies_apart(api, deals):
    rows = await report(api, "pipeline")
    got = {(r["stage"], r["owner"], r["currency"]): (r["deals"], r["value"]) for r in rows}
    assert got == {
        ("qualification", str(ALICE), "EUR"): (1, "500.0000"),
        ("proposal", str(BOB), "EUR"): (1, "250.0000"),
        ("qualification", str(BOB), "USD"): (1, "99.0000"),
    }


async def test_win_rate_and_sales_cycle_by_owner(api, deals):
    rates = {
        r["owner"]: (r["won"], r["lost"], r["win_rate"]) for r in await report(api, "win_rate")
    }
    assert rates == {str(ALICE): (1, 1, 0.5), str(BOB): (1, 0, 1.0)}
    cycle = {r["owner"]: r["avg_days"] for r in await report(api, "sales_cycle")}
    assert cycle == {str(ALICE): 10.0, str(BOB): 20.0}


async def test_a_user_who_sees_only_their_own_deals_sees_only_their_figures(
    analytics_app, tenant, deals
):
    headers = bearer(analytics_app.state.settings, tenant, user_id=ALICE, visibility="own")
    async with client(analytics_app, **headers) as alice:
        rates = await report(alice, "win_rate")
    assert [r["owner"] for r in rates] == [str(ALICE)]


async def test_the_period_filter_counts_deals_closed_in_it(api, deals):
    day = (T0 + timedelta(days=10)).date().isoformat()
    rates = await report(api, "win_rate", **{"from": day, "until": day})
    assert [(r["owner"], r["won"]) for r in rates] == [(str(ALICE), 1)]
    response = await api.get("/v1/reports/win_rate", params={"from": day, "until": "2020-01-01"})
    assert response.status_code == 422


async def test_funnel_conversion_between_lifecycle_stages(api, load, tenant):
    people = [uuid4() for _ in range(4)]
    events = [contact(tenant, p, version=1, lifecycle_stage="lead") for p in people]
    events += [
        contact(tenant, p, version=2, at=T0 + timedelta(1), lifecycle_stage="opportunity")
        for p in people[:2]
    ]
    events += [
        contact(tenant, people[0], version=3, at=T0 + timedelta(2), lifecycle_stage="customer")
    ]
    await load(*events)
    rows = await report(api, "funnel")
    assert rows == [
        {"stage": "lead", "contacts": 4, "conversion": None},
        {"stage": "opportunity", "contacts": 2, "conversion": 0.5},
        {"stage": "customer", "contacts": 1, "conversion": 0.5},
    ]


async def test_service_reports_sla_times_backlog_and_csat(api, load, tenant):
    t1, t2, t3 = uuid4(), uuid4(), uuid4()
    await load(
        ticket(tenant, t1, "created"),
        ticket(tenant, t2, "created"),
        ticket(tenant, t3, "created", priority="low"),
    )
    await load(
        ticket(tenant, t1, "replied", at=T0 + timedelta(hours=1)),
        ticket(tenant, t2, "replied", at=T0 + timedelta(hours=3)),
        ticket(tenant, t1, "resolved", at=T0 + timedelta(hours=10)),
        ticket(tenant, t1, "sla_met", metric="first_reply"),
        ticket(tenant, t2, "sla_breached", metric="first_reply"),
        ticket(tenant, t1, "csat_recorded", csat=5, at=T0 + timedelta(days=1)),
    )
    assert await report(api, "sla_compliance") == [
        {"metric": "first_reply", "met": 1, "breached": 1, "compliance": 0.5}
    ]
    times = {r["priority"]: r for r in await report(api, "response_times")}
    assert times["high"]["tickets"] == 2 and times["high"]["first_reply_avg"] == 2.0
    assert times["high"]["resolution_avg"] == 10.0
    backlog = {(r["priority"], r["age"]): r["tickets"] for r in await report(api, "backlog")}
    assert backlog == {("high", "d: > 30 days"): 1, ("low", "d: > 30 days"): 1}
    assert await report(api, "csat") == [
        {"month": "2026-01", "responses": 1, "average": 5.0, "satisfied": 1.0}
    ]


async def test_csat_by_owner_counts_each_agents_answers(api, load, tenant):
    t1, t2, t3 = uuid4(), uuid4(), uuid4()
    await load(
        ticket(tenant, t1, "created", assignee_id=str(ALICE)),
        ticket(tenant, t2, "created", assignee_id=str(ALICE)),
        ticket(tenant, t3, "created", assignee_id=str(BOB)),
    )
    await load(
        ticket(tenant, t1, "csat_recorded", csat=5, at=T0 + timedelta(days=1)),
        ticket(tenant, t2, "csat_recorded", csat=2, at=T0 + timedelta(days=1)),
        ticket(tenant, t3, "csat_recorded", csat=4, at=T0 + timedelta(days=1)),
    )
    rows = {r["owner"]: r for r in await report(api, "csat_by_owner")}
    assert rows == {
        str(ALICE): {"owner": str(ALICE), "responses": 2, "average": 3.5, "satisfied": 0.5},
        str(BOB): {"owner": str(BOB), "responses": 1, "average": 4.0, "satisfied": 1.0},
    }


async def test_activity_kpis_by_kind_and_owner(api, load, tenant):
    def task(owner):
        data = {"task_id": str(uuid4()), "completed_by": str(owner), "completed_at": T0.isoformat()}
        return event("crm.sales.task.completed.v1", tenant, data)

    def quote(owner):
        data = {"quote_id": str(uuid4()), "owner_id": str(owner), "sent_at": T0.isoformat()}
        return event("crm.sales.quote.sent.v1", tenant, data)

    await load(task(ALICE), task(ALICE), task(BOB), quote(BOB))
    rows = [(r["kind"], r["owner"], r["activities"]) for r in await report(api, "activity")]
    assert sorted(rows) == sorted(
        [
            ("task_completed", str(ALICE), 2),
            ("task_completed", str(BOB), 1),
            ("quote_sent", str(BOB), 1),
        ]
    )


async def test_cohort_retention_by_acquisition_month(api, load, tenant):
    jan, feb, mar = (datetime(2025, m, 3, tzinfo=UTC) for m in (1, 2, 3))
    a, b, c = uuid4(), uuid4(), uuid4()
    await load(
        order(tenant, a, "10", at=jan),
        order(tenant, b, "10", at=jan),
        order(tenant, a, "10", at=feb),
        order(tenant, c, "10", at=feb),
        order(tenant, b, "10", at=mar),
        order(tenant, c, "10", at=mar),
    )
    rows = [
        (r["cohort"], r["month_offset"], r["customers"], r["retention"])
        for r in await report(api, "cohort_retention")
    ]
    assert rows == [
        ("2025-01", 0, 2, 1.0),
        ("2025-01", 1, 1, 0.5),
        ("2025-01", 2, 1, 0.5),
        ("2025-02", 0, 1, 1.0),
        ("2025-02", 1, 1, 1.0),
    ]


async def test_an_unknown_report_is_a_404_problem(api):
    response = await api.get("/v1/reports/payroll")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_every_report_draws_a_chart_as_png_and_svg(api, deals, load, tenant):
    """Over data that gives every report rows (and over none, for the empty case)."""
    t, buyer = uuid4(), uuid4()
    await load(
        ticket(tenant, t, "created", assignee_id=str(ALICE)),
        contact(tenant, buyer, version=1, lifecycle_stage="lead"),
        order(tenant, buyer, "10", at=T0),
        order(tenant, buyer, "10", at=T0 + timedelta(days=35)),
    )
    await load(
        ticket(tenant, t, "replied", at=T0 + timedelta(hours=1)),
        ticket(tenant, t, "sla_met", metric="first_reply"),
        ticket(tenant, t, "csat_recorded", csat=4, at=T0 + timedelta(days=1)),
        contact(tenant, buyer, version=2, lifecycle_stage="customer", at=T0 + timedelta(days=2)),
        event("crm.sales.task.completed.v1", tenant, {"completed_by": str(ALICE)}),
    )
    listed = (await api.get("/v1/reports")).json()
    assert {r["name"] for r in listed} == set(REPORTS)
    for r in listed:
        assert await report(api, r["name"]), r["name"]  # the chart below has data to draw
        for params in ({}, {"from": "2040-01-01"}):  # ... and none
            png = await api.get(f"/v1/reports/{r['name']}", params={"format": "png", **params})
            assert png.status_code == 200, (r["name"], png.text)
            assert png.headers["content-type"] == "image/png"
            assert png.content.startswith(b"\x89PNG\r\n\x1a\n"), r["name"]
            svg = await api.get(f"/v1/reports/{r['name']}", params={"format": "svg", **params})
            assert svg.status_code == 200, (r["name"], svg.text)
            assert svg.headers["content-type"].startswith("image/svg+xml")
            assert b"<svg" in svg.content, r["name"]


async def test_cohort_retention_draws_a_heatmap(api, load, tenant):
    a, b = uuid4(), uuid4()
    await load(order(tenant, a, "10"), order(tenant, b, "10"))
    await load(order(tenant, a, "10", at=T0 + timedelta(days=31)))
    heatmap = await api.get("/v1/reports/cohort_retention", params={"format": "svg"})
    line = await api.get("/v1/reports/csat", params={"format": "svg"})
    # imshow's cells are one embedded image; lines and bars are paths only
    assert b"<image" in heatmap.content and b"<image" not in line.content
