"""Privacy (C10): subject access export, and an erasure that leaves no personal data."""

from datetime import UTC, datetime, timedelta

from contacts_service.privacy.service import FORGET_JOB, forget_copies_job
from crm_chassis.jobs import JobRunner
from crm_testing.service import eventually
from sqlalchemy import text

from .test_attachments_api import stored_files, upload

FIRST, LAST = "Zebulon", "Quixotic"
EMAIL, EMAIL2 = "zebulon.q@privacy-test.example", "zq.home@privacy-test.example"
PHONE_E164 = "+12025550199"
STREET = "12 Secretive Lane"
SECRET = "prefers-purple-umbrellas"
NEEDLES = [FIRST, LAST, EMAIL, EMAIL2, PHONE_E164, "(202) 555-0199", STREET, SECRET]


async def a_person(api):
    await api.post(
        "/v1/custom-fields",
        json={"object_type": "contact", "key": "habit", "label": "Habit", "type": "text"},
    )
    account = (await api.post("/v1/accounts", json={"name": "Neutral Corp"})).json()
    response = await api.post(
        "/v1/contacts",
        headers={"idempotency-key": "privacy-1"},
        json={
            "first_name": FIRST,
            "last_name": LAST,
            "emails": [{"email": EMAIL}],
            "phone": "(202) 555-0199",
            "addresses": [{"street": STREET, "city": "Metropolis"}],
            "account_id": account["id"],
            "custom": {"habit": SECRET},
            "tags": ["vip"],
        },
    )
    assert response.status_code == 201, response.text
    return response.json(), account


async def test_personal_data_export_holds_the_contact_and_what_refers_to_it(api):
    contact, account = await a_person(api)
    await api.post("/v1/notes", json={"contact_id": contact["id"], "body": f"Met {FIRST}"})
    lst = (await api.post("/v1/lists", json={"name": "Gala"})).json()
    await api.post(f"/v1/lists/{lst['id']}/members", json={"ids": [contact["id"]]})

    export = (await api.get(f"/v1/contacts/{contact['id']}/personal-data")).json()
    assert export["contact"]["email"] == EMAIL
    assert export["contact"]["custom"] == {"habit": SECRET}
    related = export["related"]
    assert [n["body"] for n in related["notes"]] == [f"Met {FIRST}"]
    assert related["contact_accounts"][0]["account_id"] == account["id"]
    assert related["list_members"][0]["list_id"] == lst["id"]


async def test_another_tenant_cannot_export_or_erase(api, other_api):
    contact, _ = await a_person(api)
    assert (await other_api.get(f"/v1/contacts/{contact['id']}/personal-data")).status_code == 404
    assert (await other_api.post(f"/v1/contacts/{contact['id']}/erase")).status_code == 404
    assert (await api.get(f"/v1/contacts/{contact['id']}")).json()["first_name"] == FIRST


async def test_erase_leaves_no_personal_data_in_any_table(api, tenant, contacts_app, event_capture):
    contact, _ = await a_person(api)
    cid = contact["id"]
    # Everything that copies the person's data somewhere: a note, an attachment, a
    # merge (its audit keeps before-images), a patch, the timeline, the outbox.
    await api.post("/v1/notes", json={"contact_id": cid, "body": f"{FIRST} called about {SECRET}"})
    await upload(
        api,
        f"/v1/contacts/{cid}/attachments",
        "cv.txt",
        f"{FIRST} {LAST} {EMAIL}".encode(),
        "text/plain",
    )
    twin = (
        await api.post(
            "/v1/contacts", json={"first_name": FIRST, "last_name": LAST, "email": EMAIL2}
        )
    ).json()
    merged = await api.post(
        "/v1/contacts/merge", json={"primary_id": cid, "merged_ids": [twin["id"]]}
    )
    assert merged.status_code == 200, merged.text
    await api.patch(f"/v1/contacts/{cid}", json={"title": "Chief Secret Officer"})
    await event_capture.wait_for(
        "crm.contacts.contact.updated.v1", predicate=lambda e: e["subject"] == cid
    )
    engine = contacts_app.state.engine

    async def timeline_has_it():
        async with engine.connect() as conn:
            n = await conn.scalar(
                text("SELECT count(*) FROM timeline_entries WHERE contact_id = :c"), {"c": cid}
            )
        assert n > 0

    await eventually(timeline_has_it)
    before = [d for d in await table_dumps(engine) if str(tenant) in d]
    missing = [n for n in NEEDLES if not any(n.lower() in d.lower() for d in before)]
    assert missing == []  # the check below would prove nothing otherwise

    response = await api.post(f"/v1/contacts/{cid}/erase")
    assert response.status_code == 200, response.text
    erased = response.json()
    assert erased["erased_at"] and erased["first_name"] is None and erased["emails"] == []
    event = await event_capture.wait_for(
        "crm.contacts.contact.erased.v1", predicate=lambda e: e["subject"] == cid
    )
    assert event["data"]["contact_id"] == cid
    assert (await api.post(f"/v1/contacts/{cid}/erase")).status_code == 409
    assert (await api.patch(f"/v1/contacts/{cid}", json={"first_name": "Back"})).status_code == 409

    async def nothing_left():
        # the relay has published what erasure wrote; the follow-up job clears those copies,
        # the purge job deletes the attachment's content
        async with engine.connect() as conn:
            pending = await conn.scalar(text("SELECT count(*) FROM outbox"))
        assert pending == 0
        runner = JobRunner(contacts_app.state.sessions, {FORGET_JOB: forget_copies_job})
        await runner.run_due(datetime.now(UTC) + timedelta(minutes=5))
        # Rows of this tenant only: earlier tests' tenants (same names) may still be
        # finishing in the background consumers.
        dumps = [d for d in await table_dumps(engine) if str(tenant) in d]
        leaks = [
            (needle, dump[:200])
            for dump in dumps
            for needle in NEEDLES
            if needle.lower() in dump.lower()
        ]
        assert leaks == []
        # other tests' files may be in the shared store; this tenant's must be gone
        assert [p for p in stored_files(contacts_app) if str(tenant) in p.parts] == []

    await eventually(nothing_left, within=20)


async def table_dumps(engine) -> list[str]:
    """Every row of every table as text (bytea decoded), to search for personal data."""
    async with engine.connect() as conn:
        tables = (
            (
                await conn.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                )
            )
            .scalars()
            .all()
        )
        dumps = []
        for table in tables:
            rows = await conn.execute(text(f'SELECT t::text FROM "{table}" t'))
            dumps += [_decode_bytea(r[0]) for r in rows]
        return dumps


def _decode_bytea(row_text: str) -> str:
    # bytea columns render as \\x<hex>; decode them so JSON bodies are searchable too.
    import re

    return re.sub(
        r"\\\\x([0-9a-f]+)",
        lambda m: bytes.fromhex(m.group(1)).decode("utf-8", "replace"),
        row_text,
    )
