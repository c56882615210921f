"""Import jobs: upload, progress, per-row errors (and their CSV), dry run, vCard."""

import csv
import io
import json

import pytest
from crm_chassis.tables import outbox
from crm_testing.service import eventually
from sqlalchemy import func, select

pytestmark = pytest.mark.usefixtures("import_files_cleaned_up")


COMPLETED = "crm.contacts.import.completed.v1"

GOOD_AND_BAD = (
    "Given,Family,E-mail,Phone,Labels,Tier,Ignored\r\n"
    "Ada,Lovelace,ada@example.com,+44 20 7946 0000,vip;math,gold,x\r\n"  # row 2
    "Bad,Email,not-an-email,,,,x\r\n"  # row 3
    "Grace,Hopper,grace@navy.example,(202) 555-0100,navy,silver,x\r\n"  # row 4
    ",,,,lonely-tag,,x\r\n"  # row 5: no name, email or phone
    "Linus,Torvalds,linus@example.com,,,platinum,x\r\n"  # row 6: not a tier
    "\r\n"  # blank lines are skipped, and are not rows of the report
    '"Quoted, Name","Multi\nLine",q@example.com,,,,x\r\n'  # row 7
)
MAPPING = {
    "Given": "first_name",
    "Family": "last_name",
    "E-mail": "email",
    "Phone": "phones[1]",
    "Labels": "tags",
    "Tier": "custom.tier",
    "Ignored": "",
}


async def define_tier(api):
    body = {
        "object_type": "contact",
        "key": "tier",
        "label": "Tier",
        "type": "enum",
        "options": ["gold", "silver"],
    }
    assert (await api.post("/v1/custom-fields", json=body)).status_code == 201


async def upload(api, content, filename="contacts.csv", **form):
    data = {k: json.dumps(v) if isinstance(v, dict) else str(v).lower() if isinstance(v, bool)
            else v for k, v in form.items()}  # fmt: skip
    response = await api.post(
        "/v1/imports", files={"file": (filename, content.encode(), "text/csv")}, data=data
    )
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/v1/imports/{response.json()['id']}"
    return response.json()


async def finished(api, import_id):
    async def check():
        job = (await api.get(f"/v1/imports/{import_id}")).json()
        assert job["status"] in ("completed", "failed"), job
        return job

    return await eventually(check, within=30)


async def errors_csv(api, import_id):
    response = await api.get(f"/v1/imports/{import_id}/errors.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


async def contacts(api):
    body = (await api.get("/v1/contacts", params={"limit": 500, "sort": "created_at"})).json()
    return body["data"]


async def test_an_import_with_bad_rows_reports_exactly_those_rows(api, tenant, event_capture):
    await define_tier(api)
    queued = await upload(api, GOOD_AND_BAD, mapping=MAPPING)
    assert queued["status"] == "queued" and queued["dry_run"] is False

    job = await finished(api, queued["id"])
    assert job["status"] == "completed"
    assert (job["total_rows"], job["processed"]) == (6, 6)
    assert (job["created"], job["updated"], job["failed"]) == (3, 0, 3)
    assert job["started_at"] and job["finished_at"]

    rows = await errors_csv(api, queued["id"])
    assert [(r["row"], r["column"], r["field"]) for r in rows] == [
        ("3", "E-mail", "email"),
        ("5", "", "item"),
        ("6", "Tier", "custom.tier"),
    ]
    assert rows[2]["message"] == "must be one of gold, silver"

    stored = await contacts(api)
    assert [(c["first_name"], c["last_name"]) for c in stored] == [
        ("Ada", "Lovelace"),
        ("Grace", "Hopper"),
        ("Quoted, Name", "Multi\nLine"),
    ]
    ada, grace, _ = stored
    assert ada["tags"] == ["vip", "math"] and ada["custom"] == {"tier": "gold"}
    assert ada["phone"] == "+442079460000" and grace["phone"] == "+12025550100"

    event = await event_capture.wait_for(
        COMPLETED, predicate=lambda e: e["subject"] == queued["id"]
    )
    assert event["tenantid"] == str(tenant)
    assert {k: event["data"][k] for k in ("status", "created", "failed", "dry_run")} == {
        "status": "completed",
        "created": 3,
        "failed": 3,
        "dry_run": False,
    }


async def test_a_dry_run_validates_everything_and_writes_nothing_but_the_report(
    api, tenant, contacts_app
):
    await define_tier(api)
    queued = await upload(api, GOOD_AND_BAD, mapping=MAPPING, dry_run=True)
    job = await finished(api, queued["id"])
    assert (job["status"], job["dry_run"]) == ("completed", True)
    assert (job["created"], job["failed"]) == (3, 3)
    assert [r["row"] for r in await errors_csv(api, queued["id"])] == ["3", "5", "6"]
    assert await contacts(api) == []
    async with contacts_app.state.sessions() as session:
        stmt = (
            select(func.count())
            .select_from(outbox)
            .where(outbox.c.tenant_id == tenant, outbox.c.subject.like("crm.contacts.contact%"))
        )
        assert (await session.execute(stmt)).scalar_one() == 0


async def test_upsert_import_updates_the_matching_contacts(api):
    ada = (
        await api.post("/v1/contacts", json={"first_name": "Ada", "email": "a@x.example"})
    ).json()
    content = "email,title,first_name\r\nA@X.example,Countess,\r\nb@x.example,,Babbage\r\n"
    queued = await upload(api, content, mode="upsert", match_on="email")
    job = await finished(api, queued["id"])
    assert (job["created"], job["updated"], job["failed"]) == (1, 1, 0)
    after = (await api.get(f"/v1/contacts/{ada['id']}")).json()
    assert (after["first_name"], after["title"], after["version"]) == ("Ada", "Countess", 2)


async def test_a_large_file_is_imported_in_chunks_with_the_right_row_numbers(api):
    lines = ["first_name,email"]
    for i in range(2500):
        lines.append(f"P{i},{'broken' if i in (0, 1499, 2499) else f'p{i}@example.com'}")
    queued = await upload(api, "\n".join(lines) + "\n")
    job = await finished(api, queued["id"])
    assert (job["total_rows"], job["processed"], job["created"], job["failed"]) == (
        2500,
        2500,
        2497,
        3,
    )
    assert [r["row"] for r in await errors_csv(api, queued["id"])] == ["2", "1501", "2501"]


async def test_a_vcard_file_is_imported(api):
    field = {"object_type": "contact", "key": "notes", "label": "Notes", "type": "text"}
    assert (await api.post("/v1/custom-fields", json=field)).status_code == 201
    cards = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lovelace;Ada;;Countess;\r\nFN:Ada Lovelace\r\n"
        "EMAIL;TYPE=INTERNET,WORK:ada@example.com\r\n"
        "EMAIL;TYPE=HOME,pref:ada@home.example\r\n"
        "TEL;TYPE=CELL:+44 20 7946 0000\r\nORG:Analytical Engines;Research\r\n"
        "TITLE:Analyst\r\nADR;TYPE=WORK:;;12 St James\\, Square;London;;SW1Y 4JH;GB\r\n"
        "NOTE:Wrote the first program\\, long\r\n  before computers\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Grace Brewster Hopper\r\n"
        "TEL;VALUE=uri;TYPE=work:tel:+1-202-555-0100\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:4.0\r\nORG:Nobody Inc\r\nEND:VCARD\r\n"
    )
    queued = await upload(api, cards, filename="people.vcf", mapping={"NOTE": "custom.notes"})
    assert queued["format"] == "vcard"
    job = await finished(api, queued["id"])
    assert (job["total_rows"], job["created"], job["failed"]) == (3, 2, 1)
    assert [r["row"] for r in await errors_csv(api, queued["id"])] == ["3"]
    ada, grace = await contacts(api)
    assert (ada["first_name"], ada["last_name"], ada["company"], ada["title"]) == (
        "Ada",
        "Lovelace",
        "Analytical Engines",
        "Analyst",
    )
    assert [(e["email"], e["label"]) for e in ada["emails"]] == [
        ("ada@home.example", "home"),
        ("ada@example.com", "work"),
    ]
    assert ada["phone"] == "+442079460000"
    assert ada["addresses"][0] | {} == {
        "label": "work",
        "street": "12 St James, Square",
        "city": "London",
        "region": None,
        "postal_code": "SW1Y 4JH",
        "country": "GB",
        "primary": True,
    }
    assert ada["custom"] == {"notes": "Wrote the first program, long before computers"}
    assert (grace["first_name"], grace["last_name"], grace["phone"]) == (
        "Grace Brewster",
        "Hopper",
        "+12025550100",
    )


async def test_a_bad_mapping_is_refused_at_upload(api):
    for mapping, field in (
        ({"email": "e-mail"}, "mapping.email"),
        ({"Nope": "email"}, "mapping"),
    ):
        response = await api.post(
            "/v1/imports",
            files={"file": ("c.csv", b"email\r\na@b.example\r\n", "text/csv")},
            data={"mapping": json.dumps(mapping)},
        )
        assert response.status_code == 422, response.text
        assert [e["field"] for e in response.json()["errors"]] == [field]
    assert (await api.get("/v1/imports")).json()["data"] == []


async def test_a_file_that_is_not_utf8_fails_the_import_with_a_reason(api):
    response = await api.post(
        "/v1/imports",
        files={"file": ("c.csv", "email\r\nlatin1@caf\xe9.example\r\n".encode("latin-1"))},
    )
    job = await finished(api, response.json()["id"])
    assert job["status"] == "failed" and "UTF-8" in job["error"]


async def test_another_tenant_never_sees_the_import(api, other_api):
    queued = await upload(api, "first_name,email\r\nAda,ada@example.com\r\n")
    await finished(api, queued["id"])
    for path in (f"/v1/imports/{queued['id']}", f"/v1/imports/{queued['id']}/errors.csv"):
        response = await other_api.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
    assert (await other_api.get("/v1/imports")).json()["data"] == []
    assert await contacts(other_api) == []
    assert [j["id"] for j in (await api.get("/v1/imports")).json()["data"]] == [queued["id"]]
