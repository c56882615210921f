"""Pipelines, stages and deals (S4, S5): stage history, line items, roles, rotting."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import uuid4

from crm_testing.service import eventually
from sqlalchemy import text

from .helpers import STANDARD_STAGES, created, money, pipeline_with_stages


async def test_a_deal_moves_through_stages_with_its_history(api, event_capture):
    pipeline = await pipeline_with_stages(api, *STANDARD_STAGES)
    qualify, propose, won, _ = pipeline["stages"]
    contact = str(uuid4())
    deal = await created(
        api,
        "/v1/deals",
        {
            "name": "Big one",
            "pipeline_id": pipeline["id"],
            "amount": money("5000.00"),
            "contact_id": contact,
        },
    )
    assert deal["stage_id"] == qualify["id"] and deal["probability"] == 10
    url = f"/v1/deals/{deal['id']}"
    moved = await api.patch(url, json={"stage_id": propose["id"]}, headers={"If-Match": '"1"'})
    assert moved.status_code == 200, moved.text
    assert moved.json()["probability"] == 50 and moved.json()["forecast_category"] == "best_case"
    closed = (await api.patch(url, json={"stage_id": won["id"]})).json()
    assert closed["won"] is True and closed["closed_at"] is not None
    history = (await api.get(f"{url}/stage-history")).json()["data"]
    assert [(h["from_stage_id"], h["to_stage_id"]) for h in history] == [
        (None, qualify["id"]),
        (qualify["id"], propose["id"]),
        (propose["id"], won["id"]),
    ]
    assert {h["changed_by"] for h in history} == {"00000000-0000-7000-8000-000000000001"}
    created_event = await event_capture.wait_for("crm.sales.deal.created.v1")
    assert created_event["data"]["contact_id"] == contact
    assert created_event["data"]["amount"] == "5000.00"
    change = await event_capture.wait_for(
        "crm.sales.deal.stage_changed.v1", predicate=lambda e: e["data"]["to_stage"] == "Won"
    )
    assert change["data"]["won"] is True and change["data"]["from_stage"] == "Propose"


async def test_a_stage_of_another_pipeline_and_bad_money_are_422(api, other_api):
    first = await pipeline_with_stages(api, *STANDARD_STAGES[:1])
    second = await pipeline_with_stages(api, *STANDARD_STAGES[1:2])
    bad = await api.post(
        "/v1/deals",
        json={"name": "x", "pipeline_id": first["id"], "stage_id": second["stages"][0]["id"]},
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "stage_id"
    for amount in ({"amount": 10.5, "currency": "EUR"}, money("1.234"), money("5", "ZZZ")):
        response = await api.post(
            "/v1/deals", json={"name": "x", "pipeline_id": first["id"], "amount": amount}
        )
        assert response.status_code == 422 and response.json()["errors"][0]["field"].startswith(
            "amount"
        )
    deal = await created(api, "/v1/deals", {"name": "mine", "pipeline_id": first["id"]})
    assert (await other_api.get(f"/v1/deals/{deal['id']}")).status_code == 404
    assert (await other_api.get(f"/v1/deals/{deal['id']}/stage-history")).status_code == 404
    theirs = await other_api.post("/v1/deals", json={"name": "x", "pipeline_id": first["id"]})
    assert theirs.status_code == 422


async def test_changing_a_stages_probability_moves_its_deals_with_it(api):
    pipeline = await pipeline_with_stages(api, *STANDARD_STAGES[:1])
    stage = pipeline["stages"][0]
    deal = await created(api, "/v1/deals", {"name": "d", "pipeline_id": pipeline["id"]})
    await api.patch(f"/v1/stages/{stage['id']}", json={"probability": 25})
    assert (await api.get(f"/v1/deals/{deal['id']}")).json()["probability"] == 25
    assert (await api.delete(f"/v1/stages/{stage['id']}")).status_code == 409


async def test_contacts_with_roles_and_line_items_from_the_price_book(api):
    pipeline = await pipeline_with_stages(api, *STANDARD_STAGES[:1])
    deal = await created(
        api, "/v1/deals", {"name": "d", "pipeline_id": pipeline["id"], "amount": money("100.00")}
    )
    url = f"/v1/deals/{deal['id']}"
    buyer, champion = str(uuid4()), str(uuid4())
    roles = [{"contact_id": buyer, "role": "decision maker"}, {"contact_id": champion}]
    response = await api.put(f"{url}/contacts", json=roles)
    assert response.status_code == 200, response.text
    assert {r["contact_id"]: r["role"] for r in response.json()["data"]} == {
        buyer: "decision maker",
        champion: None,
    }
    product = await created(api, "/v1/products", {"sku": "SEAT", "name": "Seat licence"})
    book = await created(api, "/v1/price-books", {"name": "Standard", "is_default": True})
    prices = await api.put(
        f"/v1/price-books/{book['id']}/prices",
        json=[{"product_id": product["id"], "unit_price": money("30.00")}],
    )
    assert prices.status_code == 200, prices.text
    lines = await api.put(
        f"{url}/line-items", json=[{"product_id": product["id"], "quantity": "3"}]
    )
    assert lines.status_code == 200, lines.text
    assert lines.json()["data"][0]["unit_price"] == money("30.00")
    wrong = await api.put(
        f"{url}/line-items",
        json=[
            {"product_id": product["id"], "quantity": "-1"},
            {"product_id": str(uuid4()), "quantity": "1", "unit_price": money("1.00")},
        ],
    )
    assert wrong.status_code == 422
    stale = await api.put(f"{url}/contacts", json=[], headers={"If-Match": '"1"'})
    assert stale.status_code == 412


async def _rotting_job_due_now(app, deal_id: str) -> None:
    async with app.state.engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE jobs SET due_at = now() - interval '1 second' "
                "WHERE dedupe_key = :key AND done_at IS NULL"
            ),
            {"key": f"deal-rotting:{deal_id}"},
        )


async def _rotting_jobs(app, deal_id: str) -> list:
    async with app.state.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT due_at, done_at, payload FROM jobs WHERE dedupe_key = :key "
                "ORDER BY created_at"
            ),
            {"key": f"deal-rotting:{deal_id}"},
        )
        return list(rows)


async def test_an_idle_deal_is_flagged_rotting_once_and_the_job_moves_with_the_deal(
    api, sales_app, event_capture
):
    pipeline = await pipeline_with_stages(
        api,
        {"name": "A", "probability": 10, "rotting_days": 3},
        {"name": "B", "probability": 20, "rotting_days": 5},
    )
    _, b = pipeline["stages"]
    deal = await created(api, "/v1/deals", {"name": "idle", "pipeline_id": pipeline["id"]})
    (job,) = await _rotting_jobs(sales_app, deal["id"])
    entered = datetime.fromisoformat(deal["stage_entered_at"])
    assert job.due_at == entered + timedelta(days=3) and job.done_at is None
    moved = (await api.patch(f"/v1/deals/{deal['id']}", json={"stage_id": b["id"]})).json()
    (job,) = await _rotting_jobs(sales_app, deal["id"])  # the same pending job, moved
    entered = datetime.fromisoformat(moved["stage_entered_at"])
    assert job.due_at == entered + timedelta(days=5)
    assert datetime.fromisoformat(job.payload["spell"]) == entered
    await _rotting_job_due_now(sales_app, deal["id"])

    async def flagged() -> dict:
        body = (await api.get(f"/v1/deals/{deal['id']}")).json()
        assert body["rotting_since"] is not None
        return body

    await eventually(flagged)
    event = await event_capture.wait_for("crm.sales.deal.rotting.v1")
    assert event["data"]["stage_id"] == b["id"] and event["data"]["rotting_days"] == 5
    # The same spell's job once more (a redelivery, a retry): nothing new.
    async with sales_app.state.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO jobs (id, tenant_id, kind, due_at, payload) "
                "SELECT gen_random_uuid(), tenant_id, kind, now(), payload FROM jobs "
                "WHERE dedupe_key = :key"
            ),
            {"key": f"deal-rotting:{deal['id']}"},
        )

    async def all_done() -> None:
        assert all(j.done_at is not None for j in await _rotting_jobs(sales_app, deal["id"]))

    await eventually(all_done)
    assert len(event_capture.of_type("crm.sales.deal.rotting.v1")) == 1
