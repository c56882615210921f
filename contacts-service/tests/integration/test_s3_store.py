"""Attachments in S3: with an ``s3://`` storage URL the API keeps their content in the
bucket (moto's S3 server over HTTP; the store itself is tested in the chassis)."""

import os

from crm_chassis.storage.s3 import S3Store
from crm_testing.s3 import BUCKET, listing


async def read_all(store, key: str) -> bytes:
    return b"".join([c async for c in await store.get_stream(key)])


async def test_with_an_s3_storage_url_attachments_live_in_the_bucket(
    s3_endpoint, s3_store, contacts_db_url, nats_url, tenant
):
    """The settings wire S3Store in: an attachment uploaded through the API is an object
    under the configured prefix and tenant, and downloads back through the API. (Purging
    on delete is a job calling ``delete``, tested in the chassis; here another app's job runner
    shares the database and could take that job.)"""
    from contacts_service.main import create_app
    from contacts_service.settings import ContactsSettings
    from crm_testing.service import bearer, client, running

    settings = ContactsSettings(
        database_url=contacts_db_url,
        nats_url=nats_url,
        run_background=False,
        storage_url=f"s3://{BUCKET}/{s3_store.prefix}",
        storage_endpoint_url=s3_endpoint,
        storage_access_key_id="test",
        storage_secret_access_key="test",
        storage_addressing_style="path",
    )
    content = b"%PDF-1.7\n" + os.urandom(50_000)
    async with (
        running(create_app(settings)) as app,
        client(app, **bearer(app.state.settings, tenant)) as api,
    ):
        assert isinstance(app.state.object_store, S3Store)
        contact = (await api.post("/v1/contacts", json={"first_name": "Ada"})).json()
        files = {"file": ("offer.pdf", content, "application/pdf")}
        item = (await api.post(f"/v1/contacts/{contact['id']}/attachments", files=files)).json()
        keys, _ = await listing(s3_store)
        assert [k.rsplit("/", 1)[-1] for k in keys] == [item["id"]]
        assert keys[0].startswith(f"{s3_store.prefix}{tenant}/")
        download = await api.get(item["content_url"])
        assert (download.status_code, download.content) == (200, content)
        assert await read_all(s3_store, keys[0].removeprefix(s3_store.prefix)) == content
