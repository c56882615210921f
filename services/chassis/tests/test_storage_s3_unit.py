"""S3Store without a server: settings, key building, part splitting, request signing.

Its requests against a bucket are exercised over HTTP in ``test_storage_s3.py`` (moto's
S3 server).
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from crm_chassis.storage import InvalidKey, StorageSettings, store_from_settings
from crm_chassis.storage.local import LocalFolder
from crm_chassis.storage.s3 import S3Store, parse_url, split_parts


def test_the_storage_url_names_bucket_and_prefix():
    assert parse_url("s3://docs") == ("docs", "")
    assert parse_url("s3://docs/crm/contacts/") == ("docs", "crm/contacts/")
    for bad in ("http://docs/x", "s3:///x", "s3://docs/../x"):
        with pytest.raises(ValueError):
            parse_url(bad)


def test_settings_pick_the_backend(tmp_path):
    local = store_from_settings(StorageSettings(storage_path=str(tmp_path)))
    assert isinstance(local, LocalFolder) and local.root == tmp_path.resolve()
    s3 = store_from_settings(
        StorageSettings(storage_url="s3://bucket/crm", storage_endpoint_url="http://minio:9000")
    )
    assert isinstance(s3, S3Store)
    assert (s3.bucket, s3.prefix) == ("bucket", "crm/")
    assert s3.object_key("t/a") == "crm/t/a"
    with pytest.raises(InvalidKey):
        s3.object_key("../other-prefix/a")


async def test_a_stream_is_cut_into_equal_parts_but_the_last():
    async def chunks():
        for size in (3, 5, 1, 7):
            yield b"x" * size

    assert [len(p) async for p in split_parts(chunks(), 4)] == [4, 4, 4, 4]

    async def odd():
        yield b"x" * 10

    assert [len(p) async for p in split_parts(odd(), 4)] == [4, 4, 2]

    async def empty():
        return
        yield b""

    assert [p async for p in split_parts(empty(), 4)] == [b""]


async def test_requests_are_signed_for_the_configured_endpoint_and_key():
    store = S3Store(
        bucket="docs",
        prefix="crm/",
        endpoint_url="http://127.0.0.1:9000",
        region="eu-west-1",
        access_key_id="AKIDEXAMPLE",
        secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        addressing_style="path",
    )
    url = urlsplit(await store.presigned_url("t1/a1", expires_in=60))
    assert (url.scheme, url.netloc, url.path) == ("http", "127.0.0.1:9000", "/docs/crm/t1/a1")
    query = parse_qs(url.query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Credential"][0].startswith("AKIDEXAMPLE/")
    assert query["X-Amz-Credential"][0].endswith("/eu-west-1/s3/aws4_request")
    assert query["X-Amz-Expires"] == ["60"]
    assert len(query["X-Amz-Signature"][0]) == 64
