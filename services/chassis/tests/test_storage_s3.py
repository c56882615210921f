"""S3Store against an S3 API over real HTTP: moto's S3 server on a loopback port.

moto does not check request signatures, so SigV4 itself stays covered only by the
presigned URL test of ``test_storage_s3_unit.py``. Everything else the store does goes
over the wire as it would to AWS S3 or MinIO.
"""

import os

import httpx
import pytest
from crm_chassis.storage import ObjectMissing
from crm_testing.s3 import BUCKET, PART, listing


async def chunks(*parts: bytes):
    for part in parts:
        yield part


async def read_all(store, key: str) -> bytes:
    return b"".join([c async for c in await store.get_stream(key)])


async def test_a_small_object_is_one_put_under_the_prefix(s3_store):
    size = await s3_store.put_stream(
        "t1/a1", chunks(b"hello ", b"world"), content_type="text/plain"
    )
    assert size == 11
    assert await s3_store.exists("t1/a1")
    assert await read_all(s3_store, "t1/a1") == b"hello world"
    assert await listing(s3_store) == ([f"{s3_store.prefix}t1/a1"], [])


async def test_a_large_stream_becomes_a_multipart_upload_of_equal_parts(s3_store):
    big = os.urandom(2 * PART + 12345)
    pieces = [big[i : i + 100_000] for i in range(0, len(big), 100_000)]
    assert await s3_store.put_stream("t1/big", chunks(*pieces), content_type="x/y") == len(big)
    assert await read_all(s3_store, "t1/big") == big
    async with s3_store._client() as s3:
        head = await s3.head_object(Bucket=BUCKET, Key=s3_store.object_key("t1/big"))
    assert head["ContentLength"] == len(big)
    assert head["ContentType"] == "x/y"
    assert head["ETag"].strip('"').endswith("-3")  # S3 marks a 3-part object this way


async def test_a_stream_failing_mid_upload_aborts_it_and_keeps_the_old_object(s3_store):
    await s3_store.put_stream("t/a", chunks(b"old"), content_type="text/plain")

    async def broken():
        yield os.urandom(PART + 1)  # one part sent
        raise RuntimeError("client went away")

    with pytest.raises(RuntimeError):
        await s3_store.put_stream("t/a", broken(), content_type="text/plain")
    assert await read_all(s3_store, "t/a") == b"old"
    assert await listing(s3_store) == ([f"{s3_store.prefix}t/a"], [])  # no upload left open


async def test_missing_objects_and_deletion(s3_store):
    with pytest.raises(ObjectMissing):
        await s3_store.get_stream("t/none")
    assert not await s3_store.exists("t/none")
    await s3_store.delete("t/none")
    await s3_store.put_stream("t/x", chunks(b"1"), content_type="text/plain")
    await s3_store.delete("t/x")
    assert not await s3_store.exists("t/x")
    assert await listing(s3_store) == ([], [])


async def test_a_presigned_url_downloads_the_object_over_plain_http(s3_store):
    await s3_store.put_stream("t/doc", chunks(b"%PDF-1.7 body"), content_type="application/pdf")
    url = await s3_store.presigned_url("t/doc", expires_in=60)
    async with httpx.AsyncClient() as http:
        response = await http.get(url)
    assert response.status_code == 200
    assert response.content == b"%PDF-1.7 body"
