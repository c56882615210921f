"""S3Store against an S3 API over real HTTP: moto's S3 server on a loopback port.

moto implements the S3 protocol (multipart uploads, HEAD, presigned GETs) in process; it
does not check request signatures, so SigV4 itself stays covered only by the presigned
URL test of ``tests/unit/test_storage_s3.py``. Everything else the store does goes over
the wire as it would to AWS S3 or MinIO.
"""

import os

import httpx
import pytest
from contacts_service.storage import ObjectMissing
from contacts_service.storage.s3 import S3Store
from crm_local.ports import free_port
from moto.server import ThreadedMotoServer

BUCKET = "crm-objects"
PART = 5 * 1024 * 1024  # S3's smallest part but the last


@pytest.fixture(scope="module")
def endpoint():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
async def store(endpoint):
    store = S3Store(
        bucket=BUCKET,
        prefix=f"t{os.urandom(4).hex()}/",
        endpoint_url=endpoint,
        access_key_id="test",
        secret_access_key="test",
        addressing_style="path",
        part_size=PART,
    )
    async with store._client() as s3:
        buckets = [b["Name"] for b in (await s3.list_buckets())["Buckets"]]
        if BUCKET not in buckets:
            await s3.create_bucket(Bucket=BUCKET)
    return store


async def chunks(*parts: bytes):
    for part in parts:
        yield part


async def read_all(store, key: str) -> bytes:
    return b"".join([c async for c in await store.get_stream(key)])


async def listing(store) -> tuple[list[str], list[str]]:
    """(keys under the store's prefix, multipart uploads still open)."""
    async with store._client() as s3:
        objects = await s3.list_objects_v2(Bucket=BUCKET, Prefix=store.prefix)
        uploads = await s3.list_multipart_uploads(Bucket=BUCKET, Prefix=store.prefix)
    return (
        [o["Key"] for o in objects.get("Contents", [])],
        [u["Key"] for u in uploads.get("Uploads", [])],
    )


async def test_a_small_object_is_one_put_under_the_prefix(store):
    size = await store.put_stream("t1/a1", chunks(b"hello ", b"world"), content_type="text/plain")
    assert size == 11
    assert await store.exists("t1/a1")
    assert await read_all(store, "t1/a1") == b"hello world"
    assert await listing(store) == ([f"{store.prefix}t1/a1"], [])


async def test_a_large_stream_becomes_a_multipart_upload_of_equal_parts(store):
    big = os.urandom(2 * PART + 12345)
    pieces = [big[i : i + 100_000] for i in range(0, len(big), 100_000)]
    assert await store.put_stream("t1/big", chunks(*pieces), content_type="x/y") == len(big)
    assert await read_all(store, "t1/big") == big
    async with store._client() as s3:
        head = await s3.head_object(Bucket=BUCKET, Key=store.object_key("t1/big"))
    assert head["ContentLength"] == len(big)
    assert head["ContentType"] == "x/y"
    assert head["ETag"].strip('"').endswith("-3")  # S3 marks a 3-part object this way


async def test_a_stream_failing_mid_upload_aborts_it_and_keeps_the_old_object(store):
    await store.put_stream("t/a", chunks(b"old"), content_type="text/plain")

    async def broken():
        yield os.urandom(PART + 1)  # one part sent
        raise RuntimeError("client went away")

    with pytest.raises(RuntimeError):
        await store.put_stream("t/a", broken(), content_type="text/plain")
    assert await read_all(store, "t/a") == b"old"
    assert await listing(store) == ([f"{store.prefix}t/a"], [])  # no upload left open


async def test_missing_objects_and_deletion(store):
    with pytest.raises(ObjectMissing):
        await store.get_stream("t/none")
    assert not await store.exists("t/none")
    await store.delete("t/none")
    await store.put_stream("t/x", chunks(b"1"), content_type="text/plain")
    await store.delete("t/x")
    assert not await store.exists("t/x")
    assert await listing(store) == ([], [])


async def test_a_presigned_url_downloads_the_object_over_plain_http(store):
    await store.put_stream("t/doc", chunks(b"%PDF-1.7 body"), content_type="application/pdf")
    url = await store.presigned_url("t/doc", expires_in=60)
    async with httpx.AsyncClient() as http:
        response = await http.get(url)
    assert response.status_code == 200
    assert response.content == b"%PDF-1.7 body"


async def test_with_an_s3_storage_url_attachments_live_in_the_bucket(
    endpoint, store, contacts_db_url, nats_url, tenant
):
    """The settings wire S3Store in: an attachment uploaded through the API is an object
    under the configured prefix and tenant, and downloads back through the API. (Purging
    on delete is a job calling ``delete``, tested above; here another app's job runner
    shares the database and could take that job.)"""
    from contacts_service.main import create_app
    from contacts_service.settings import ContactsSettings
    from crm_testing.service import bearer, client, running

    settings = ContactsSettings(
        database_url=contacts_db_url,
        nats_url=nats_url,
        run_background=False,
        storage_url=f"s3://{BUCKET}/{store.prefix}",
        storage_endpoint_url=endpoint,
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
        keys, _ = await listing(store)
        assert [k.rsplit("/", 1)[-1] for k in keys] == [item["id"]]
        assert keys[0].startswith(f"{store.prefix}{tenant}/")
        download = await api.get(item["content_url"])
        assert (download.status_code, download.content) == (200, content)
        assert await read_all(store, keys[0].removeprefix(store.prefix)) == content
