"""The object store that keeps attachments' content: an interface and its two backends.

:class:`ObjectStore` is what the service uses; :func:`store_from_settings` picks the
backend: :class:`~contacts_service.storage.local.LocalFolderStore` under
``CRM_CONTACTS_STORAGE_PATH`` by default, or
:class:`~contacts_service.storage.s3.S3Store` when ``CRM_CONTACTS_STORAGE_URL`` is an
``s3://bucket/prefix`` URL. Keys are chosen by the service (``<tenant>/<attachment id>``),
never by a client, and every backend still refuses a key that could leave its root.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, AsyncIterator
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from contacts_service.settings import ContactsSettings

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
    """Where attachment content lives. Writes are all-or-nothing."""

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


def store_from_settings(settings: ContactsSettings) -> ObjectStore:
    """The store the settings describe."""
    if settings.storage_url:
        from contacts_service.storage.s3 import S3Store

        return S3Store.from_settings(settings)
    from contacts_service.storage.local import LocalFolderStore

    return LocalFolderStore(settings.storage_path)
