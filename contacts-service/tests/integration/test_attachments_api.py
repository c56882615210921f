"""Attachments (C9): streamed upload to the object store, checked, hashed, downloadable."""

import hashlib
import os
from pathlib import Path
from uuid import uuid4

import pytest
from crm_testing.service import TEST_USER, eventually

PDF = b"%PDF-1.7\n" + os.urandom(300_000) + b"\n%%EOF\n"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def store_root(contacts_app) -> Path:
    return contacts_app.state.object_store.root


def stored_files(contacts_app) -> list[Path]:
    return [p for p in store_root(contacts_app).rglob("*") if p.is_file()]


async def upload(api, path: str, filename: str, content: bytes, ctype: str):
    return await api.post(path, files={"file": (filename, content, ctype)})


@pytest.fixture
async def contact(api):
    return (await api.post("/v1/contacts", json={"first_name": "Ada"})).json()


async def test_upload_and_download_round_trip(api, contacts_app, contact, event_capture):
    response = await upload(
        api,
        f"/v1/contacts/{contact['id']}/attachments",
        "Proposal Q3 \u2013 v2.pdf",
        PDF,
        "application/pdf",
    )
    assert response.status_code == 201, response.text
    item = response.json()
    assert response.headers["location"] == f"/v1/attachments/{item['id']}"
    assert item["filename"] == "Proposal Q3 \u2013 v2.pdf"
    assert (item["content_type"], item["size_bytes"]) == ("application/pdf", len(PDF))
    assert item["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert item["contact_id"] == contact["id"] and item["account_id"] is None
    assert item["uploaded_by"] == str(TEST_USER)
    assert item["content_url"] == f"/v1/attachments/{item['id']}/content"

    download = await api.get(item["content_url"])
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-length"] == str(len(PDF))
    assert download.headers["content-disposition"].startswith('attachment; filename="Proposal')
    assert (
        "filename*=UTF-8''Proposal%20Q3%20%E2%80%93%20v2.pdf"
        in (download.headers["content-disposition"])
    )
    assert download.headers["x-content-type-options"] == "nosniff"

    assert (await api.get(f"/v1/attachments/{item['id']}")).json() == item
    listed = (await api.get(f"/v1/contacts/{contact['id']}/attachments")).json()
    assert [a["id"] for a in listed["data"]] == [item["id"]]
    event = await event_capture.wait_for(
        "crm.contacts.attachment.added.v1", predicate=lambda e: e["subject"] == item["id"]
    )
    assert event["data"]["attachment"]["sha256"] == item["sha256"]
    # the content is in the store under the tenant, named by id, not by the client's name
    files = [p for p in stored_files(contacts_app) if p.name == item["id"]]
    assert len(files) == 1 and files[0].read_bytes() == PDF


async def test_accounts_take_attachments_too(api):
    account = (await api.post("/v1/accounts", json={"name": "Acme"})).json()
    csv = "name,city\nZoë,Zürich\n".encode()
    response = await upload(
        api, f"/v1/accounts/{account['id']}/attachments", "people.csv", csv, "text/csv"
    )
    assert response.status_code == 201, response.text
    assert response.json()["account_id"] == account["id"]
    listed = (await api.get(f"/v1/accounts/{account['id']}/attachments")).json()["data"]
    assert [a["filename"] for a in listed] == ["people.csv"]
    got = await api.get(listed[0]["content_url"])
    assert got.content == csv and got.headers["content-type"].startswith("text/csv")


async def test_a_file_over_the_limit_is_413_and_leaves_nothing(
    api, contacts_app, contact, monkeypatch
):
    monkeypatch.setattr(contacts_app.state.settings, "attachment_max_bytes", 100_000)
    before = stored_files(contacts_app)
    response = await upload(
        api, f"/v1/contacts/{contact['id']}/attachments", "big.pdf", PDF, "application/pdf"
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [{"field": "file", "message": "at most 100000 bytes"}]
    assert stored_files(contacts_app) == before  # no partial file, no temp file
    assert (await api.get(f"/v1/contacts/{contact['id']}/attachments")).json()["data"] == []


async def test_a_body_over_the_upload_routes_limit_is_cut_by_the_chassis(api, contact):
    # The default file limit is 25 MiB; the route's body limit adds only the framing.
    big = b"%PDF-" + b"\x00" * (25 * 1024 * 1024 + 70 * 1024)
    response = await upload(
        api, f"/v1/contacts/{contact['id']}/attachments", "huge.pdf", big, "application/pdf"
    )
    assert response.status_code == 413
    assert response.json()["type"].endswith("/payload-too-large")


async def test_types_off_the_allow_list_or_lying_about_their_type_are_415(
    api, contacts_app, contact
):
    path = f"/v1/contacts/{contact['id']}/attachments"
    before = stored_files(contacts_app)
    exe = await upload(api, path, "setup.exe", b"MZ\x90\x00" * 100, "application/x-msdownload")
    assert exe.status_code == 415
    assert exe.headers["content-type"] == "application/problem+json"
    assert "accepted types" in exe.json()["errors"][0]["message"]
    disguised = await upload(api, path, "invoice.pdf", b"MZ\x90\x00" * 100, "application/pdf")
    assert disguised.status_code == 415
    assert disguised.json()["errors"] == [
        {"field": "file", "message": "not a valid application/pdf"}
    ]
    fake_docx = await upload(api, path, "contract.docx", b"%PDF-1.4 not a zip", DOCX)
    assert fake_docx.status_code == 415
    html = await upload(api, path, "x.html", b"<script>alert(1)</script>", "text/html")
    assert html.status_code == 415
    not_multipart = await api.post(path, content=PDF, headers={"Content-Type": "application/pdf"})
    assert not_multipart.status_code == 415
    no_file = await api.post(path, data={"comment": "no file"}, files={"other": ("a", b"x")})
    assert no_file.status_code == 422
    assert stored_files(contacts_app) == before


async def test_the_allow_list_is_a_setting(api, contacts_app, contact, monkeypatch):
    monkeypatch.setattr(contacts_app.state.settings, "attachment_types", ["image/png"])
    path = f"/v1/contacts/{contact['id']}/attachments"
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(100)
    assert (await upload(api, path, "a.png", png, "image/png")).status_code == 201
    assert (await upload(api, path, "a.pdf", PDF, "application/pdf")).status_code == 415


async def test_a_client_filename_cannot_steer_where_content_is_stored(api, contacts_app, contact):
    response = await upload(
        api,
        f"/v1/contacts/{contact['id']}/attachments",
        "../../../../outside.pdf",
        PDF,
        "application/pdf",
    )
    assert response.status_code == 201
    item = response.json()
    assert item["filename"] == "outside.pdf"
    root = store_root(contacts_app)
    assert not (root.parent / "outside.pdf").exists()
    assert [p.name for p in stored_files(contacts_app) if p.name == item["id"]] == [item["id"]]


async def test_deleting_an_attachment_purges_its_content(
    api, other_api, contacts_app, contact, event_capture
):
    item = (
        await upload(
            api, f"/v1/contacts/{contact['id']}/attachments", "a.pdf", PDF, "application/pdf"
        )
    ).json()
    assert (await other_api.get(f"/v1/attachments/{item['id']}")).status_code == 404
    assert (await other_api.get(item["content_url"])).status_code == 404
    assert (await other_api.delete(f"/v1/attachments/{item['id']}")).status_code == 404
    stale = await api.delete(f"/v1/attachments/{item['id']}", headers={"If-Match": '"9"'})
    assert stale.status_code == 412
    assert (await api.delete(f"/v1/attachments/{item['id']}")).status_code == 204
    assert (await api.get(f"/v1/attachments/{item['id']}")).status_code == 404
    assert (await api.get(item["content_url"])).status_code == 404
    event = await event_capture.wait_for(
        "crm.contacts.attachment.removed.v1", predicate=lambda e: e["subject"] == item["id"]
    )
    assert event["data"]["filename"] == "a.pdf"

    async def purged():  # by the job scheduled with the deletion
        assert not any(p.name == item["id"] for p in stored_files(contacts_app))

    await eventually(purged)


async def test_another_tenants_or_a_missing_record_takes_no_upload(api, other_api, contact):
    path = f"/v1/contacts/{contact['id']}/attachments"
    foreign = await upload(other_api, path, "a.pdf", PDF, "application/pdf")
    assert foreign.status_code == 404
    missing = await upload(
        api, f"/v1/accounts/{uuid4()}/attachments", "a.pdf", PDF, "application/pdf"
    )
    assert missing.status_code == 404
    assert (await other_api.get(path)).status_code == 404


async def test_deleting_a_contact_removes_its_attachments(api, contacts_app, contact):
    item = (
        await upload(
            api, f"/v1/contacts/{contact['id']}/attachments", "a.pdf", PDF, "application/pdf"
        )
    ).json()
    assert (await api.delete(f"/v1/contacts/{contact['id']}")).status_code == 204

    async def gone():
        assert (await api.get(f"/v1/attachments/{item['id']}")).status_code == 404
        assert not any(p.name == item["id"] for p in stored_files(contacts_app))

    await eventually(gone)
