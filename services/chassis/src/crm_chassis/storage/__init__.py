"""An object store for file content (attachments, import files, exports): an interface
and its two backends.

:class:`ObjectStore` is what a service uses; :func:`store_from_settings` picks the
backend from a service's settings (the fields of :class:`StorageSettings`):
:class:`~crm_chassis.storage.local.LocalFolder` under ``CRM_<SERVICE>_STORAGE_PATH`` by
default, or :class:`~crm_chassis.storage.s3.S3Store` when ``CRM_<SERVICE>_STORAGE_URL`` is
an ``s3://bucket/prefix`` URL. Keys are chosen by the service (``<tenant>/<object id>``),
never by a client, and every backend still refuses a key that could leave its root.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, AsyncIterator
from typing import Literal, Protocol

from pydantic import SecretStr
from pydantic_settings import BaseSettings

CHUNK_SIZE = 64 * 1024

_KEY_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


class ObjectMissing(LookupError):
    """No object under that key."""


class InvalidKey(ValueError):
    """A key that is not a safe relative path of plain segments."""


def check_key(key: str) -> str:
    """``key`` if it is 1-8 ``/``-separated segments of ``[A-Za-z0-9._-]``, not dot-led.

    This excludes ``..``, ``.``, empty segments, absolute paths, backslashes and every
    character a filesystem or an URL would interpret: a key can never escape the root.
    """
    parts = key.split("/")
    if not 1 <= len(parts) <= 8 or not all(_KEY_SEGMENT.fullmatch(p) for p in parts):
        raise InvalidKey(f"invalid object key {key!r}")
    return key


class ObjectStore(Protocol):
    """Where file content lives. Writes are all-or-nothing."""

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], *, content_type: str) -> int:
        """Store the chunks under ``key`` and return the byte count.

        The object appears only once the stream has ended; if the stream raises, nothing
        is left behind (and the exception propagates).
        """
        ...

    async def get_stream(self, key: str) -> AsyncIterator[bytes]:
        """The object's content as chunks; :class:`ObjectMissing` is raised by this call
        itself (before any chunk), so a caller can answer 404 before streaming."""
        ...

    async def delete(self, key: str) -> None:
        """Delete the object; deleting a missing object is not an error."""
        ...

    async def exists(self, key: str) -> bool: ...


class StorageSettings(BaseSettings):
    """The settings fields of a service's object store: a service's settings class
    inherits them (``class SalesSettings(ServiceSettings, StorageSettings)``), so they
    read ``CRM_<SERVICE>_STORAGE_*``."""

    storage_path: str = ".data/objects"
    """Folder of the default local object store (used when ``storage_url`` is unset)."""
    storage_url: str | None = None
    """``s3://bucket/prefix`` to keep objects in any S3-compatible store instead."""
    storage_endpoint_url: str | None = None
    """The S3 endpoint (MinIO, Ceph, R2...); unset means AWS S3 of ``storage_region``."""
    storage_region: str = "us-east-1"
    storage_access_key_id: str | None = None
    storage_secret_access_key: SecretStr | None = None
    """Unset keys fall back to the standard AWS credential chain (env, profile, role)."""
    storage_addressing_style: Literal["auto", "path", "virtual"] = "auto"


def store_from_settings(settings: StorageSettings) -> ObjectStore:
    """The store the settings describe: S3 when ``storage_url`` is set, else a folder."""
    if settings.storage_url:
        from crm_chassis.storage.s3 import S3Store

        return S3Store.from_settings(settings)
    from crm_chassis.storage.local import LocalFolder

    return LocalFolder(settings.storage_path)
