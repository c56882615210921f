"""Read the file of a ``multipart/form-data`` upload as a stream, and check it on the way.

The body is parsed chunk by chunk as it arrives (python-multipart's push parser), so a
25 MB upload flows to the object store without ever being whole in memory or spooled to
a temporary file first. :class:`Intake` wraps the file's chunks: it counts them against
the size limit (413), verifies the content looks like its declared type from the first
bytes (415) and computes the SHA-256 as they pass.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from crm_chassis.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from contacts_service.attachments.sniff import SNIFF_BYTES, looks_like, normalise

if TYPE_CHECKING:  # the library declares it for type checkers only
    from python_multipart.multipart import MultipartCallbacks

FILE_FIELD = "file"


@dataclass
class _Events:
    """What the push parser reported for the bytes fed so far, in order."""

    items: list[tuple[str, Any]] = field(default_factory=list)
    headers: dict[str, bytes] = field(default_factory=dict)
    name: bytes = b""
    value: bytes = b""
    done: bool = False


class FilePart:
    """The ``file`` part of a multipart body: its declared name and type, then its bytes."""

    def __init__(self, body: AsyncIterable[bytes], content_type_header: str | None) -> None:
        media, options = parse_options_header(content_type_header or "")
        boundary = options.get(b"boundary")
        if media != b"multipart/form-data" or not boundary:
            raise UnsupportedMediaType(
                "Upload the file as multipart/form-data in a part named 'file'",
                errors=[{"field": "content-type", "message": "expected multipart/form-data"}],
            )
        self._body = aiter(body)
        self._events = _Events()
        self._parser = MultipartParser(boundary, self._callbacks())
        self.filename: str = "attachment"
        self.content_type: str = ""
        self._rest: list[tuple[str, Any]] = []

    def _callbacks(self) -> MultipartCallbacks:
        ev = self._events

        def on_header_field(data: bytes, start: int, end: int) -> None:
            ev.name += data[start:end]

        def on_header_value(data: bytes, start: int, end: int) -> None:
            ev.value += data[start:end]

        def on_header_end() -> None:
            # Values stay bytes: browsers send UTF-8 filenames raw, beyond latin-1.
            ev.headers[ev.name.decode("latin-1").lower()] = ev.value
            ev.name = ev.value = b""

        def on_headers_finished() -> None:
            ev.items.append(("headers", ev.headers))
            ev.headers = {}

        def on_part_data(data: bytes, start: int, end: int) -> None:
            ev.items.append(("data", data[start:end]))

        def on_part_end() -> None:
            ev.items.append(("end", None))

        def on_end() -> None:
            ev.done = True

        return {
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
            "on_end": on_end,
        }

    async def _next_events(self) -> list[tuple[str, Any]]:
        """Feed the parser until it reports something; [] once the body has ended."""
        while not self._events.items:
            try:
                chunk = await anext(self._body)
            except StopAsyncIteration:
                return []
            try:
                self._parser.write(chunk)
            except MultipartParseError as exc:
                raise BadRequest(f"Malformed multipart body: {exc}") from exc
        items, self._events.items = self._events.items, []
        return items

    async def open(self) -> FilePart:
        """Read up to the headers of the ``file`` part; 422 when there is none."""
        pending: list[tuple[str, Any]] = []
        while True:
            if not pending:
                pending = await self._next_events()
                if not pending:
                    raise ValidationFailed(
                        "The upload has no file",
                        errors=[
                            {"field": FILE_FIELD, "message": "a part named 'file' is required"}
                        ],
                    )
            kind, value = pending.pop(0)
            if kind != "headers":
                continue  # the data of a part we do not read
            _, disposition = parse_options_header(value.get("content-disposition", b""))
            if disposition.get(b"name") == FILE_FIELD.encode():
                raw_name = disposition.get(b"filename", b"").decode("utf-8", "replace")
                self.filename = clean_filename(raw_name)
                self.content_type = normalise(value.get("content-type", b"").decode("latin-1"))
                self._rest = pending
                return self

    async def chunks(self) -> AsyncIterator[bytes]:
        """The file's bytes as they arrive; 400 if the body ends before the part does."""
        pending = self._rest
        while True:
            if not pending:
                pending = await self._next_events()
                if not pending:
                    raise BadRequest("The upload ended before the end of the file")
            kind, value = pending.pop(0)
            if kind == "end":
                return
            if kind == "data" and value:
                yield value


class Intake:
    """The file's chunks, checked and hashed on the way to the store."""

    def __init__(self, chunks: AsyncIterable[bytes], *, content_type: str, max_bytes: int):
        self._chunks = chunks
        self.content_type = content_type
        self.max_bytes = max_bytes
        self.size = 0
        self._sha256 = hashlib.sha256()

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()

    def _sniff(self, head: bytes) -> None:
        if not looks_like(self.content_type, head):
            raise UnsupportedMediaType(
                f"The content does not look like {self.content_type}",
                errors=[{"field": FILE_FIELD, "message": f"not a valid {self.content_type}"}],
            )

    async def __aiter__(self) -> AsyncIterator[bytes]:
        head = bytearray()  # held back until the type is confirmed
        checked = False
        async for chunk in self._chunks:
            self.size += len(chunk)
            if self.size > self.max_bytes:
                raise PayloadTooLarge(
                    f"The file exceeds {self.max_bytes} bytes",
                    errors=[{"field": FILE_FIELD, "message": f"at most {self.max_bytes} bytes"}],
                )
            self._sha256.update(chunk)
            if checked:
                yield chunk
                continue
            head += chunk
            if len(head) >= SNIFF_BYTES:
                self._sniff(bytes(head))
                checked = True
                yield bytes(head)
        if not checked:
            self._sniff(bytes(head))
            if head:
                yield bytes(head)


def clean_filename(raw: str) -> str:
    """A display name safe to store and to send back: no path, no control characters."""
    name = unicodedata.normalize("NFC", raw.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if ch.isprintable()).strip().lstrip(".")
    return name[:255] or "attachment"


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact UTF-8 name (RFC 6266)."""
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_" for ch in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
