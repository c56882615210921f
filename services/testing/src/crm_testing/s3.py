"""An S3 API over real HTTP for tests: moto's S3 server on a loopback port.

moto implements the S3 protocol (multipart uploads, HEAD, presigned GETs) in process; it
does not check request signatures. The plugin registers the fixtures; moto and the S3
client are imported only by a test that uses them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from crm_local.ports import free_port

if TYPE_CHECKING:
    from crm_chassis.storage.s3 import S3Store

BUCKET = "crm-objects"
PART = 5 * 1024 * 1024  # S3's smallest part but the last


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """The URL of a moto S3 server, up for the test module."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
async def s3_store(s3_endpoint: str) -> S3Store:
    """An :class:`S3Store` over :data:`BUCKET` under a prefix of its own (parts of
    :data:`PART` bytes), so tests sharing the server never see each other's objects."""
    from crm_chassis.storage.s3 import S3Store

    store = S3Store(
        bucket=BUCKET,
        prefix=f"t{os.urandom(4).hex()}/",
        endpoint_url=s3_endpoint,
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


async def listing(store: S3Store) -> tuple[list[str], list[str]]:
    """(keys under the store's prefix, multipart uploads still open)."""
    async with store._client() as s3:
        objects = await s3.list_objects_v2(Bucket=store.bucket, Prefix=store.prefix)
        uploads = await s3.list_multipart_uploads(Bucket=store.bucket, Prefix=store.prefix)
    return (
        [o["Key"] for o in objects.get("Contents", [])],
        [u["Key"] for u in uploads.get("Uploads", [])],
    )
