"""Model runs as long tasks: versioned results with their data window, published events."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from analytics_factories import order
from crm_testing.service import eventually

AS_OF = datetime(2026, 6, 30, tzinfo=UTC)


@pytest.fixture
async def load(analytics_app):
    async def send(*events):
        await analytics_app.state.runtime.warehouse.load(list(events))

    return send


async def run(api, model: str, **options) -> dict:
    started = await api.post(
        f"/v1/models/{model}/runs", json={"as_of": AS_OF.isoformat(), **options}
    )
    assert started.status_code == 202, started.text

    async def finished():
        body = (await api.get(started.headers["Location"])).json()
        assert body["status"] in ("succeeded", "failed"), body
        return body

    return await eventually(finished, within=60)


def ago(days: int) -> datetime:
    return AS_OF - timedelta(days=days)


async def test_rfm_run_is_versioned_and_publishes_segment_changes_once(
    api, tenant, load, event_capture
):
    champion, sleeper = uuid4(), uuid4()
    await load(
        *[order(tenant, champion, "100", at=ago(d)) for d in (1, 5, 9)],
        order(tenant, sleeper, "5", at=ago(300)),
    )
    first = await run(api, "rfm")
    assert first["status"] == "succeeded", first
    rows = {r["customer_id"]: r for r in first["run"]["results"]}
    # two customers: the better of each pair scores 3 (1 + 5 * 1 // 2), the other 1
    assert (rows[str(champion)]["r"], rows[str(champion)]["f"]) == (3, 3)
    assert rows[str(champion)]["segment"] == "need_attention"
    assert rows[str(sleeper)]["segment"] == "hibernating"
    assert first["run"]["version"] == 1 and first["run"]["window_to"].startswith("2026-06-30")
    changed = await event_capture.wait_for(
        "crm.analytics.customer.segment_changed.v1",
        predicate=lambda e: e["data"]["contact_id"] == str(champion),
    )
    assert changed["tenantid"] == str(tenant) and changed["data"]["previous_segment"] is None

    event_capture.clear()
    second = await run(api, "rfm")
    assert second["run"]["version"] == 2
    await event_capture.wait_for(
        "crm.analytics.model_run.completed.v1",
        predicate=lambda e: e["data"]["run_id"] == second["id"],
    )
    assert event_capture.of_type("crm.analytics.customer.segment_changed.v1") == []
    versions = (await api.get("/v1/models/rfm/runs")).json()
    assert [v["version"] for v in versions] == [2, 1]


async def test_a_run_without_data_fails_with_the_reason(api, tenant):
    body = await run(api, "clv")
    assert body["status"] == "failed"
    assert "CLV needs" in body["task"]["error"]


async def test_basket_run_answers_also_bought(api, tenant, load):
    lines = [{"name": "beans"}, {"name": "grinder"}]
    await load(
        *[order(tenant, uuid4(), "10", lines=lines) for _ in range(3)],
        order(tenant, uuid4(), "5", lines=[{"name": "beans"}, {"name": "mug"}]),
    )
    body = await run(api, "basket", min_support=0.2, min_confidence=0.2)
    assert body["status"] == "succeeded", body
    also = (await api.get("/v1/models/basket/also-bought", params={"product": "grinder"})).json()
    assert also[0]["product"] == "beans" and also[0]["confidence"] == 1.0


async def test_forecast_and_attribution_runs_return_their_figures(api, tenant, load):
    person = uuid4()
    await load(*[order(tenant, person, str(100 + i), at=ago(30 * i)) for i in range(1, 8)])
    body = await run(api, "forecast", horizon_months=3)
    assert body["status"] == "succeeded", body
    assert [p["month"] for p in body["run"]["results"]] == ["2026-06", "2026-07", "2026-08"]
    assert body["run"]["summary"]["currency"] == "EUR"
    attributed = await run(api, "attribution")
    assert attributed["status"] == "succeeded" and attributed["run"]["summary"]["won_deals"] == 0


async def test_scores_of_a_customer_and_the_latest_export(api, tenant, load):
    person = uuid4()
    await load(order(tenant, person, "10", at=ago(3)), order(tenant, uuid4(), "20", at=ago(40)))
    await run(api, "rfm")
    scores = (await api.get(f"/v1/customers/{person}/scores")).json()
    assert scores["scores"]["rfm"]["version"] == 1
    csv = await api.get("/v1/models/rfm/latest", params={"format": "csv"})
    assert csv.status_code == 200 and csv.text.startswith("customer_id,customer_kind,")


@pytest.mark.parametrize(
    ("model", "body", "status"),
    [("astrology", {}, 404), ("clusters", {"k": 1}, 422), ("rfm", {"colour": "red"}, 422)],
)
async def test_bad_runs_are_refused_before_any_work(api, model, body, status):
    response = await api.post(f"/v1/models/{model}/runs", json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_another_tenant_cannot_read_a_run(api, other_api, tenant, load):
    await load(order(tenant, uuid4(), "10", at=ago(3)))
    body = await run(api, "rfm")
    response = await other_api.get(f"/v1/models/rfm/runs/{body['id']}")
    assert response.status_code == 404


async def test_clv_and_churn_runs_on_generated_history(api, tenant, load):
    """Loyal customers buy every month; the others stop after tickets go unanswered."""
    from analytics_factories import ticket

    events = []
    loyal, leaving = [uuid4() for _ in range(12)], [uuid4() for _ in range(12)]
    for i, person in enumerate(loyal):
        events += [order(tenant, person, str(20 + i), at=ago(15 + 30 * m)) for m in range(12)]
    for i, person in enumerate(leaving):
        events += [order(tenant, person, str(30 + i), at=ago(200 + 30 * m)) for m in range(4)]
        events += [
            ticket(tenant, uuid4(), "created", contact_id=str(person), at=ago(210 + k))
            for k in range(3)
        ]
    await load(*events)

    clv_run = await run(api, "clv", horizon_weeks=26)
    assert clv_run["status"] == "succeeded", clv_run
    summary = clv_run["run"]["summary"]
    assert set(summary["bgnbd"]) == {"r", "alpha", "a", "b", "log_likelihood"}
    by = {r["customer_id"]: r for r in clv_run["run"]["results"]}
    assert by[str(loyal[0])]["probability_alive"] > by[str(leaving[0])]["probability_alive"]
    assert float(by[str(loyal[0])]["clv"]) > float(by[str(leaving[0])]["clv"])

    churn_run = await run(api, "churn", horizon_days=120)
    assert churn_run["status"] == "succeeded", churn_run
    assert churn_run["run"]["summary"]["cv_roc_auc"] > 0.8
    scores = {r["customer_id"]: r for r in churn_run["run"]["results"]}
    assert scores[str(leaving[0])]["risk"] == "high"
    assert scores[str(loyal[0])]["risk"] == "low"

    clustered = await run(api, "clusters")
    assert clustered["status"] == "succeeded" and clustered["run"]["summary"]["k"] >= 2
