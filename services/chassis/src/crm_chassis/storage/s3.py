"""Objects in any S3-compatible store (AWS S3, MinIO, Ceph RGW, Cloudflare R2...).

Selected by ``CRM_<SERVICE>_STORAGE_URL=s3://bucket/prefix`` with the endpoint, region and
credentials settings; requests are signed (SigV4) by aiobotocore. An upload is streamed:
content below one part is a single ``PutObject``; anything larger becomes a multipart
upload of :data:`PART_SIZE` parts (S3 needs at least 5 MiB per part but the last), so at
most one part is held in memory. A failed upload is aborted, so no partial object is left
and no orphan parts are billed.

Tested over HTTP against moto's S3 server (``services/chassis/tests/test_storage_s3.py``), which
implements the protocol but does not check signatures; the unit tests cover key building,
settings parsing, part splitting and the signing of presigned URLs. Not yet run against
AWS S3 or MinIO themselves.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterable, AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import ClientError

from crm_chassis.storage import CHUNK_SIZE, ObjectMissing, check_key

if TYPE_CHECKING:
    from crm_chassis.storage import StorageSettings

PART_SIZE = 8 * 1024 * 1024
_MISSING = {"404", "NoSuchKey", "NotFound"}


def parse_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> (``bucket``, ``some/prefix/``); prefix may be empty."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"storage URL must look like s3://bucket/prefix, not {url!r}")
    prefix = parts.path.strip("/")
    if prefix:
        check_key(prefix)
    return parts.netloc, f"{prefix}/" if prefix else ""


async def split_parts(chunks: AsyncIterable[bytes], part_size: int) -> AsyncIterator[bytes]:
    """Re-cut a stream of chunks into parts of exactly ``part_size`` (the last may be
    shorter; an empty stream gives one empty part)."""
    buffer = bytearray()
    sent = False
    async for chunk in chunks:
        buffer += chunk
        while len(buffer) >= part_size:
            yield bytes(buffer[:part_size])
            del buffer[:part_size]
            sent = True
    if buffer or not sent:
        yield bytes(buffer)


class S3Store:
    """An :class:`~crm_chassis.storage.ObjectStore` over an S3 bucket and prefix."""

    def __init__(
        self,
        *,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        addressing_style: str = "auto",
        part_size: int = PART_SIZE,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.part_size = part_size
        self._session = get_session()
        self._client_args: dict[str, Any] = {
            "region_name": region,
            "endpoint_url": endpoint_url,
            "aws_access_key_id": access_key_id,
            "aws_secret_access_key": secret_access_key,
            "config": AioConfig(
                signature_version="s3v4",
                s3={"addressing_style": addressing_style},
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        }

    @classmethod
    def from_settings(cls, settings: StorageSettings) -> S3Store:
        """The store of ``settings.storage_url`` and the other ``storage_*`` fields."""
        assert settings.storage_url is not None
        bucket, prefix = parse_url(settings.storage_url)
        secret = settings.storage_secret_access_key
        return cls(
            bucket=bucket,
            prefix=prefix,
            endpoint_url=settings.storage_endpoint_url,
            region=settings.storage_region,
            access_key_id=settings.storage_access_key_id,
            secret_access_key=secret.get_secret_value() if secret else None,
            addressing_style=settings.storage_addressing_style,
        )

    def object_key(self, key: str) -> str:
        """The S3 key of a store key: the prefix, then the checked key."""
        return self.prefix + check_key(key)

    def _client(self) -> Any:
        # A client per operation: cheap (the session caches the service model) and no
        # connection pool outlives the request that needed it.
        return self._session.create_client("s3", **self._client_args)

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], *, content_type: str) -> int:
        target = {"Bucket": self.bucket, "Key": self.object_key(key)}
        size = 0
        parts: list[dict[str, Any]] = []
        upload_id: str | None = None
        async with self._client() as s3:
            try:
                async for part in split_parts(chunks, self.part_size):
                    size += len(part)
                    if not parts and upload_id is None and len(part) < self.part_size:
                        # The whole object fits in one request.
                        await s3.put_object(**target, Body=part, ContentType=content_type)
                        return size
                    if upload_id is None:
                        created = await s3.create_multipart_upload(
                            **target, ContentType=content_type
                        )
                        upload_id = created["UploadId"]
                    number = len(parts) + 1
                    sent = await s3.upload_part(
                        **target, UploadId=upload_id, PartNumber=number, Body=part
                    )
                    parts.append({"ETag": sent["ETag"], "PartNumber": number})
                await s3.complete_multipart_upload(
                    **target, UploadId=upload_id, MultipartUpload={"Parts": parts}
                )
            except BaseException:
                if upload_id is not None:
                    with contextlib.suppress(Exception):
                        await s3.abort_multipart_upload(**target, UploadId=upload_id)
                raise
        return size

    async def get_stream(self, key: str) -> AsyncIterator[bytes]:
        stack = contextlib.AsyncExitStack()
        s3 = await stack.enter_async_context(self._client())
        try:
            response = await s3.get_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as exc:
            await stack.aclose()
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                raise ObjectMissing(key) from exc
            raise
        except BaseException:
            await stack.aclose()
            raise
        body = response["Body"]

        async def read() -> AsyncIterator[bytes]:
            async with stack:
                async for chunk in body.iter_chunks(CHUNK_SIZE):
                    yield chunk

        return read()

    async def delete(self, key: str) -> None:
        async with self._client() as s3:
            await s3.delete_object(Bucket=self.bucket, Key=self.object_key(key))

    async def exists(self, key: str) -> bool:
        async with self._client() as s3:
            try:
                await s3.head_object(Bucket=self.bucket, Key=self.object_key(key))
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in _MISSING:
                    return False
                raise
        return True

    async def presigned_url(self, key: str, *, expires_in: int = 300) -> str:
        """A time-limited GET URL of the object, for a client to download it directly."""
        async with self._client() as s3:
            url: str = await s3.generate_presigned_url(
                "get_object",
                Params={"Bucket": self.bucket, "Key": self.object_key(key)},
                ExpiresIn=expires_in,
            )
        return url
