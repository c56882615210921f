"""GET /v1/contacts/export: CSV and JSON, streamed, and a CSV that imports back."""

import csv
import io
import json

import pytest
from crm_testing.service import eventually

pytestmark = pytest.mark.usefixtures("import_files_cleaned_up")


FIELDS = [
    {"key": "score", "type": "number"},
    {"key": "newsletter", "type": "bool"},
    {"key": "langs", "type": "multi_enum", "options": ["en", "fr", "de"]},
    {"key": "budget", "type": "money"},
    {"key": "since", "type": "date"},
]
PEOPLE = [
    {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "title": "Countess",
        "emails": [{"email": "ada@example.com"}, {"email": "ada@home.example", "primary": True}],
        "phones": [{"number": "+44 20 7946 0000"}, {"number": "(202) 555-0100"}],
        "addresses": [{"street": "12 St James, Square", "city": "London", "country": "GB"}],
        "lifecycle_stage": "customer",
        "do_not_contact": True,
        "membership_level": "gold",
        "member_since": "2020-05-01",
        "tags": ["vip", "math"],
        "external_id": "crm-1",
        "custom": {
            "score": 42,
            "newsletter": False,
            "langs": ["en", "fr"],
            "budget": {"amount": "12.50", "currency": "EUR"},
            "since": "1843-01-01",
        },
    },
    {"first_name": "Grace", "phone": "(202) 555-0199", "company": 'The "Navy"'},
    {"last_name": "Solo", "email": "solo@example.com", "tags": ["vip"]},
]
VOLATILE = {"id", "version", "created_at", "updated_at"}


async def define_fields(client):
    for f in FIELDS:
        body = {"object_type": "contact", "label": f["key"], **f}
        assert (await client.post("/v1/custom-fields", json=body)).status_code == 201


async def create(client, items):
    response = await client.post("/v1/contacts/batch", json={"items": items})
    assert response.status_code == 200
    assert {r["status"] for r in response.json()["results"]} == {"created"}, response.text


def parse_csv(text):
    return list(csv.DictReader(io.StringIO(text)))


async def test_csv_export_flattens_and_imports_back_to_the_same_contacts(api, other_api):
    await define_fields(api)
    await create(api, PEOPLE)
    response = await api.get("/v1/contacts/export", params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "contacts.csv" in response.headers["content-disposition"]
    exported = parse_csv(response.text)
    assert len(exported) == 3
    ada = exported[0]
    assert ada["email"] == "ada@home.example"
    assert ada["emails"] == "ada@home.example;ada@example.com"
    assert ada["phones"] == "+44 20 7946 0000;(202) 555-0100"
    assert (ada["address.street"], ada["address.country"]) == ("12 St James, Square", "GB")
    assert (ada["tags"], ada["do_not_contact"]) == ("vip;math", "true")
    assert (ada["custom.langs"], ada["custom.budget"]) == ("en;fr", "12.50 EUR")
    assert exported[1]["company"] == 'The "Navy"'

    # The same file, uploaded as it is to another tenant, recreates the same contacts.
    await define_fields(other_api)
    upload = await other_api.post(
        "/v1/imports", files={"file": ("contacts.csv", response.content, "text/csv")}
    )
    assert upload.status_code == 202, upload.text

    async def done():
        job = (await other_api.get(f"/v1/imports/{upload.json()['id']}")).json()
        assert job["status"] == "completed", job
        return job

    job = await eventually(done, within=30)
    assert (job["created"], job["failed"]) == (3, 0)
    again = parse_csv((await other_api.get("/v1/contacts/export")).text)
    strip = [{k: v for k, v in row.items() if k not in VOLATILE} for row in exported]
    assert [{k: v for k, v in row.items() if k not in VOLATILE} for row in again] == strip


async def test_json_and_ndjson_exports_hold_every_field(api):
    await create(api, PEOPLE[1:])
    listed = (await api.get("/v1/contacts", params={"sort": "created_at"})).json()["data"]
    as_array = await api.get("/v1/contacts/export", params={"format": "json"})
    assert as_array.headers["content-type"] == "application/json"
    assert as_array.json() == listed
    as_lines = await api.get("/v1/contacts/export", params={"format": "ndjson"})
    assert as_lines.headers["content-type"] == "application/x-ndjson"
    assert [json.loads(line) for line in as_lines.text.splitlines()] == listed


async def test_export_takes_the_list_filters(api):
    await create(api, PEOPLE[1:])
    rows = parse_csv((await api.get("/v1/contacts/export", params={"tag": "VIP"})).text)
    assert [r["last_name"] for r in rows] == ["Solo"]
    empty = await api.get("/v1/contacts/export", params={"email": "nobody@example.com"})
    assert parse_csv(empty.text) == []
    assert empty.text.startswith("id,first_name,")
    bad = await api.get("/v1/contacts/export", params={"format": "xml"})
    assert bad.status_code == 422


async def test_export_pages_through_more_contacts_than_one_batch(api):
    for start in range(0, 2100, 1000):
        await create(api, [{"first_name": f"P{i}"} for i in range(start, min(start + 1000, 2100))])
    lines = (await api.get("/v1/contacts/export", params={"format": "ndjson"})).text.splitlines()
    ids = [json.loads(line)["id"] for line in lines]
    assert len(ids) == len(set(ids)) == 2100
    assert ids == sorted(ids)


async def test_another_tenant_exports_none_of_them(api, other_api):
    await create(api, PEOPLE[1:])
    assert (await other_api.get("/v1/contacts/export", params={"format": "json"})).json() == []
