"""Lead conversion (S3), sales' side: ids allocated here, one event, a read-only lead."""

from __future__ import annotations

from uuid import uuid4

from .helpers import STANDARD_STAGES, created, money, pipeline_with_stages


async def test_converting_allocates_ids_creates_the_deal_and_freezes_the_lead(api, event_capture):
    pipeline = await pipeline_with_stages(api, *STANDARD_STAGES)
    lead = await created(
        api,
        "/v1/leads",
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "company": "Engines Ltd",
            "email": "ada@engines.example",
            "estimated_value": money("8000.00"),
        },
    )
    url = f"/v1/leads/{lead['id']}"
    response = await api.post(f"{url}/convert", json={"deal": {"pipeline_id": pipeline["id"]}})
    assert response.status_code == 200, response.text
    done = response.json()
    assert done["status"] == "converted" and done["converted_at"] is not None
    event = await event_capture.wait_for("crm.sales.lead.converted.v1")
    data = event["data"]
    assert data["account"]["id"] == done["converted_account_id"]
    assert data["account"] == {
        "id": done["converted_account_id"],
        "existing": False,
        "name": "Engines Ltd",
        "website": None,
        "phone": None,
    }
    assert data["contact"]["id"] == done["converted_contact_id"]
    assert data["contact"]["email"] == "ada@engines.example" and not data["contact"]["existing"]
    deal = (await api.get(f"/v1/deals/{done['converted_deal_id']}")).json()
    assert deal["amount"] == money("8000.00") and deal["lead_id"] == lead["id"]
    assert deal["contact_id"] == done["converted_contact_id"]
    assert deal["account_id"] == done["converted_account_id"]
    assert (await api.patch(url, json={"title": "CEO"})).status_code == 409
    assert (await api.post(f"{url}/convert", json={})).status_code == 409
    assert (await api.delete(url)).status_code == 409


async def test_converting_into_existing_records_names_them_and_adds_no_deal(api, event_capture):
    lead = await created(api, "/v1/leads", {"last_name": "Hopper", "company": "Navy"})
    account, contact = str(uuid4()), str(uuid4())
    response = await api.post(
        f"/v1/leads/{lead['id']}/convert",
        json={"account": {"id": account}, "contact": {"id": contact}},
    )
    assert response.status_code == 200, response.text
    assert response.json()["converted_deal_id"] is None
    data = (await event_capture.wait_for("crm.sales.lead.converted.v1"))["data"]
    assert (data["account"]["id"], data["account"]["existing"]) == (account, True)
    assert (data["contact"]["id"], data["contact"]["existing"]) == (contact, True)


async def test_a_disqualified_or_foreign_lead_is_not_converted(api, other_api):
    lead = await created(
        api,
        "/v1/leads",
        {"last_name": "No", "status": "disqualified", "disqualified_reason": "spam"},
    )
    assert (await api.post(f"/v1/leads/{lead['id']}/convert", json={})).status_code == 409
    other = await created(api, "/v1/leads", {"last_name": "Yes"})
    assert (await other_api.post(f"/v1/leads/{other['id']}/convert", json={})).status_code == 404
    bad = await api.post(
        f"/v1/leads/{other['id']}/convert", json={"deal": {"pipeline_id": str(uuid4())}}
    )
    assert bad.status_code == 422
    assert (await api.get(f"/v1/leads/{other['id']}")).json()["status"] == "new"  # nothing kept
