"""Leads (S1, S2): capture, statuses, custom fields, search, assignment explained."""

from __future__ import annotations

from uuid import uuid4

from .helpers import created, money

ANA, BEN, CAT = uuid4(), uuid4(), uuid4()


async def test_a_lead_is_captured_read_and_its_status_moves_by_the_rules(api, event_capture):
    lead = await created(
        api,
        "/v1/leads",
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "company": "Engines Ltd",
            "email": "ada@engines.example",
            "source": "event",
            "country": "GB",
            "estimated_value": money("12000.00"),
            "qualification": {"need": "analytics"},
        },
    )
    assert lead["status"] == "new" and lead["estimated_value"] == money("12000.00")
    url = f"/v1/leads/{lead['id']}"
    working = await api.patch(url, json={"status": "working"})
    assert working.status_code == 200 and working.json()["status"] == "working"
    refused = await api.patch(url, json={"status": "disqualified"})
    assert refused.status_code == 422  # a reason is needed
    assert refused.json()["errors"][0]["field"] == "disqualified_reason"
    out = await api.patch(url, json={"status": "disqualified", "disqualified_reason": "no budget"})
    assert out.status_code == 200
    assert (await api.patch(url, json={"status": "qualified"})).status_code == 409
    assert (await api.patch(url, json={"status": "converted"})).status_code == 422
    event = await event_capture.wait_for("crm.sales.lead.created.v1")
    assert event["data"]["lead"]["email"] == "ada@engines.example"
    await event_capture.wait_for(
        "crm.sales.lead.updated.v1", predicate=lambda e: e["data"]["lead"]["status"] == "working"
    )


async def test_bad_lead_input_is_a_422_per_field(api):
    response = await api.post(
        "/v1/leads",
        json={
            "last_name": "X",
            "email": "not-an-email",
            "country": "gb",
            "estimated_value": {"amount": 12.5, "currency": "EUR"},
        },
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"email", "country"} <= fields and any("estimated_value" in f for f in fields)
    bad_values = [money("1.005"), money("1", "XXX"), money("-3.00"), money("1.5", "JPY")]
    for value in bad_values:
        bad = await api.post("/v1/leads", json={"last_name": "X", "estimated_value": value})
        assert bad.status_code == 422, value
        assert bad.json()["errors"][0]["field"].startswith("estimated_value")
    assert (await api.post("/v1/leads", json={"title": "CTO"})).status_code == 422


async def test_custom_fields_are_checked_against_their_definitions(api):
    await created(
        api,
        "/v1/lead-fields",
        {"key": "tier", "label": "Tier", "kind": "enum", "options": ["gold", "silver"]},
    )
    await created(api, "/v1/lead-fields", {"key": "seats", "label": "Seats", "kind": "number"})
    lead = await created(api, "/v1/leads", {"last_name": "A", "custom": {"tier": "gold"}})
    assert lead["custom"] == {"tier": "gold"}
    bad = await api.post("/v1/leads", json={"last_name": "B", "custom": {"tier": "tin", "x": 1}})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"custom.tier", "custom.x"}
    wrong = await api.patch(f"/v1/leads/{lead['id']}", json={"custom": {"seats": "ten"}})
    assert wrong.status_code == 422


async def test_leads_are_searched_by_filter_groups_custom_fields_and_text(api):
    await created(api, "/v1/lead-fields", {"key": "seats", "label": "Seats", "kind": "number"})
    a = await created(
        api,
        "/v1/leads",
        {"last_name": "Hopper", "company": "Navy Labs", "source": "web", "custom": {"seats": 50}},
    )
    b = await created(
        api,
        "/v1/leads",
        {"last_name": "Turing", "source": "event", "estimated_value": money("900.00")},
    )
    await created(api, "/v1/leads", {"last_name": "Babbage", "source": "web"})

    async def found(body):
        response = await api.post("/v1/leads/search", json=body)
        assert response.status_code == 200, response.text
        return [row["id"] for row in response.json()["data"]]

    by_custom = {"filters": [{"field": "custom.seats", "operator": "gte", "value": 10}]}
    by_value = {"filters": [{"field": "estimated_value", "operator": "gt", "value": "500"}]}
    assert await found({"filter_groups": [by_custom, by_value], "sort": "last_name"}) == [
        a["id"],
        b["id"],
    ]
    assert await found({"query": "navy"}) == [a["id"]]
    bad = await api.post(
        "/v1/leads/search",
        json={"filter_groups": [{"filters": [{"field": "nope", "operator": "eq", "value": 1}]}]},
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "filter_groups[0].filters[0].field"


async def test_assignment_rules_fire_in_order_and_explain_themselves(api, event_capture):
    queue = await created(
        api,
        "/v1/assignment-queues",
        {"name": "Inbound", "members": [str(ANA), str(BEN), str(CAT)], "unavailable": [str(BEN)]},
    )
    await created(
        api,
        "/v1/assignment-rules",
        {
            "name": "Germany",
            "position": 1,
            "owner_id": str(CAT),
            "conditions": [{"field": "country", "operator": "eq", "value": "DE"}],
        },
    )
    rule = await created(
        api,
        "/v1/assignment-rules",
        {
            "name": "Big web leads",
            "position": 2,
            "queue_id": queue["id"],
            "conditions": [
                {"field": "estimated_value", "operator": "gte", "value": "10000"},
                {"field": "source", "operator": "in", "value": ["web", "ads"]},
            ],
        },
    )
    owners = []
    for _ in range(3):
        lead = await created(
            api,
            "/v1/leads",
            {"last_name": "Big", "source": "web", "estimated_value": money("20000.00")},
        )
        owners.append(lead["owner_id"])
    assert owners == [str(ANA), str(CAT), str(ANA)]  # round-robin, skipping Ben
    explained = (await api.get(f"/v1/leads/{lead['id']}/assignment")).json()
    assert explained["rule_id"] == rule["id"] and explained["queue_id"] == queue["id"]
    assert "round-robin in queue 'Inbound', skipping 1 unavailable" in explained["reasons"]
    german = await created(api, "/v1/leads", {"last_name": "K", "country": "DE"})
    assert german["owner_id"] == str(CAT)
    nobody = await created(api, "/v1/leads", {"last_name": "Small", "source": "web"})
    explained = (await api.get(f"/v1/leads/{nobody['id']}/assignment")).json()
    assert explained["rule_id"] is None and explained["reasons"] == ["no rule matched"]
    await event_capture.wait_for(
        "crm.sales.lead.assigned.v1", predicate=lambda e: e["data"]["rule_id"] == rule["id"]
    )
    bad = await api.post("/v1/assignment-rules", json={"name": "x", "position": 3})
    assert bad.status_code == 422


async def test_a_public_web_form_captures_leads_refuses_spam_and_is_rate_limited(api, anonymous):
    form = await created(
        api, "/v1/web-forms", {"name": "Contact us", "source": "website", "per_minute": 3}
    )
    url = f"/v1/web-forms/{form['key']}/submissions"
    ok = await anonymous.post(
        url,
        json={"email": "x@y.example", "last_name": "Web", "message": "call me", "website_url": ""},
    )
    assert ok.status_code == 202, ok.text
    lead = (await api.get(f"/v1/leads/{ok.json()['lead_id']}")).json()
    assert lead["source"] == "website" and lead["web_form_id"] == form["id"]
    assert lead["qualification"] == {"need": "call me"}
    bot = await anonymous.post(url, json={"email": "b@y.example", "website_url": "http://spam"})
    assert bot.status_code == 422 and bot.json()["errors"][0]["field"] == "website_url"
    extra = await anonymous.post(url, json={"email": "c@y.example", "discount_code": "x"})
    assert extra.status_code == 422 and extra.json()["errors"][0]["field"] == "discount_code"
    # Refused submissions count too: the limit (3 a minute) is reached by the 4th
    # submission, or, if a minute starts meanwhile, within the next 3.
    statuses = [(await anonymous.post(url, json={"email": f"{n}@y.example"})) for n in range(4)]
    limited = next(r for r in statuses if r.status_code == 429)
    assert "retry-after" in limited.headers
    missing = await anonymous.post("/v1/web-forms/nope/submissions", json={"email": "a@b.cd"})
    assert missing.status_code == 404
    emails = {lead["email"] for lead in (await api.get("/v1/leads")).json()["data"]}
    assert "x@y.example" in emails and not emails & {"b@y.example", "c@y.example"}


async def test_another_tenants_lead_is_a_404(api, other_api):
    lead = await created(api, "/v1/leads", {"last_name": "Mine"})
    assert (await other_api.get(f"/v1/leads/{lead['id']}")).status_code == 404
    assert (
        await other_api.patch(f"/v1/leads/{lead['id']}", json={"title": "x"})
    ).status_code == 404
    assert (await other_api.get(f"/v1/leads/{lead['id']}/assignment")).status_code == 404
