"""Forecast (S11): weighted pipeline in a reporting currency with the rates shown; quotas."""

from __future__ import annotations

from uuid import uuid4

from .helpers import STANDARD_STAGES, created, money, pipeline_with_stages

ANA = str(uuid4())


async def test_the_weighted_pipeline_sums_several_currencies_at_the_tenants_rates(api):
    pipeline = await pipeline_with_stages(api, *STANDARD_STAGES)
    qualify, propose, *_ = pipeline["stages"]
    rates = await api.put(
        "/v1/exchange-rates",
        json=[
            {
                "currency": "USD",
                "reporting_currency": "EUR",
                "valid_from": "2026-01-01",
                "rate": "0.5",
            },
            {
                "currency": "USD",
                "reporting_currency": "EUR",
                "valid_from": "2026-06-01",
                "rate": "0.9",
            },
        ],
    )
    assert rates.status_code == 200, rates.text

    async def deal(stage, amount, close):
        await created(
            api,
            "/v1/deals",
            {
                "name": "d",
                "pipeline_id": pipeline["id"],
                "stage_id": stage["id"],
                "amount": amount,
                "expected_close_date": close,
                "owner_id": ANA,
            },
        )

    await deal(qualify, money("1000.00"), "2026-02-10")  # 10%: 100
    await deal(qualify, money("1000.00", "USD"), "2026-03-10")  # 900 EUR, 10%: 90
    await deal(propose, money("200.00"), "2026-02-01")  # 50%: 100
    await deal(qualify, money("5.00"), "2026-07-01")  # another quarter
    response = await api.get(
        "/v1/forecast",
        params={"currency": "EUR", "from": "2026-01-01", "to": "2026-04-01", "as_of": "2026-07-01"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rates"] == [
        {"currency": "USD", "rate": "0.9000000000", "valid_from": "2026-06-01"}
    ]
    rows = {(r["period"], r["forecast_category"]): r for r in body["data"]}
    assert rows[("2026-Q1", "pipeline")]["amount"] == money("1900.00")
    assert rows[("2026-Q1", "pipeline")]["weighted"] == money("190.00")
    assert rows[("2026-Q1", "best_case")]["weighted"] == money("100.00")
    assert body["totals"] == {"amount": money("2100.00"), "weighted": money("290.00")}
    earlier = (
        await api.get(
            "/v1/forecast",
            params={
                "currency": "EUR",
                "from": "2026-01-01",
                "to": "2026-04-01",
                "as_of": "2026-02-01",
            },
        )
    ).json()
    assert earlier["totals"]["amount"] == money("1700.00")  # the January rate
    no_rate = await api.get(
        "/v1/forecast", params={"currency": "GBP", "from": "2026-01-01", "to": "2026-04-01"}
    )
    assert no_rate.status_code == 422 and no_rate.json()["errors"][0]["field"] == "currency"


async def test_attainment_is_won_against_quota(api):
    pipeline = await pipeline_with_stages(api, *STANDARD_STAGES)
    won = pipeline["stages"][2]
    await created(
        api, "/v1/quotas", {"owner_id": ANA, "period": "2026-Q1", "amount": money("1000.00")}
    )
    await created(
        api,
        "/v1/deals",
        {
            "name": "w",
            "pipeline_id": pipeline["id"],
            "stage_id": won["id"],
            "amount": money("250.00"),
            "expected_close_date": "2026-03-31",
            "owner_id": ANA,
        },
    )
    body = (
        await api.get("/v1/forecast/attainment", params={"currency": "EUR", "period": "2026-Q1"})
    ).json()
    assert body["data"] == [
        {
            "owner_id": ANA,
            "quota": money("1000.00"),
            "won": money("250.00"),
            "attainment_percent": "25.00",
        }
    ]
    bad = await api.post(
        "/v1/quotas", json={"owner_id": ANA, "period": "2026-Q5", "amount": money("1.00")}
    )
    assert bad.status_code == 422


async def test_the_forecast_follows_moves_edits_and_deletions_of_deals(api):
    pipeline = await pipeline_with_stages(api, *STANDARD_STAGES)
    propose = pipeline["stages"][1]
    deal = await created(
        api,
        "/v1/deals",
        {
            "name": "d",
            "pipeline_id": pipeline["id"],
            "amount": money("1000.00"),
            "expected_close_date": "2026-02-10",
        },
    )
    params = {"currency": "EUR", "from": "2026-01-01", "to": "2026-07-01", "period": "month"}

    async def totals() -> tuple[str, str, list[str]]:
        body = (await api.get("/v1/forecast", params=params)).json()
        return (
            body["totals"]["weighted"]["amount"],
            body["totals"]["amount"]["amount"],
            [r["period"] for r in body["data"]],
        )

    assert await totals() == ("100.00", "1000.00", ["2026-02"])
    url = f"/v1/deals/{deal['id']}"
    await api.patch(url, json={"stage_id": propose["id"]})
    assert await totals() == ("500.00", "1000.00", ["2026-02"])
    await api.patch(url, json={"expected_close_date": "2026-05-31", "amount": money("10.00")})
    assert await totals() == ("5.00", "10.00", ["2026-05"])
    await api.patch(f"/v1/stages/{propose['id']}", json={"probability": 20})
    assert await totals() == ("2.00", "10.00", ["2026-05"])
    await api.delete(url)
    assert await totals() == ("0.00", "0.00", [])
    odd = await api.get("/v1/forecast", params={**params, "from": "2026-01-15"})
    assert odd.status_code == 422


async def test_setting_exchange_rates_is_an_event_with_the_rates_set(api, event_capture):
    rates = [
        {
            "currency": "CHF",
            "reporting_currency": "EUR",
            "valid_from": "2026-02-01",
            "rate": "1.05",
        },
        {
            "currency": "JPY",
            "reporting_currency": "EUR",
            "valid_from": "2026-02-01",
            "rate": "0.0061",
        },
    ]
    assert (await api.put("/v1/exchange-rates", json=rates)).status_code == 200
    event = await event_capture.wait_for("crm.sales.exchange_rates.set.v1")
    assert event["data"]["rates"] == rates
    from crm_proto import payload_model

    model = payload_model("crm.sales.exchange_rates.set.v1").model_validate(event["data"])
    assert model.model_dump(mode="json") == event["data"]
    listed = await api.get("/v1/exchange-rates")  # a read announces nothing
    assert listed.status_code == 200 and len(listed.json()["data"]) >= 2
