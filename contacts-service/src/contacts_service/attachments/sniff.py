"""Does a file's content look like the type it declares? Judged from its first bytes.

A declared content type is only the client's word; a renamed executable declared as
``application/pdf`` must not be stored as a PDF. Each accepted type has a check over the
first :data:`SNIFF_BYTES` of the content. The checks are deliberately simple signatures:

- binary formats by their magic number (PDF, PNG, JPEG, GIF, WebP, OLE2 for legacy Office);
- OOXML (docx, xlsx, pptx) and OpenDocument are ZIP containers: the check confirms the
  container (``PK\\x03\\x04``), not which document is inside;
- text types (plain, CSV, Markdown) must be UTF-8 (a BOM allowed) with no NUL and no
  other control character than tab, CR, LF and form feed.
"""

from __future__ import annotations

from collections.abc import Callable

SNIFF_BYTES = 8192

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"
DOC = "application/msword"
XLS = "application/vnd.ms-excel"
PPT = "application/vnd.ms-powerpoint"


def _magic(*prefixes: bytes) -> Callable[[bytes], bool]:
    return lambda head: any(head.startswith(p) for p in prefixes)


def _webp(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


_ALLOWED_CONTROLS = {0x09, 0x0A, 0x0C, 0x0D}


def _text(head: bytes) -> bool:
    if any(b < 0x20 and b not in _ALLOWED_CONTROLS for b in head) or b"\x7f" in head:
        return False
    # The sample may end inside a multi-byte character: allow up to 3 dangling bytes.
    for cut in range(4):
        try:
            head[: len(head) - cut].decode("utf-8")
            return True
        except UnicodeDecodeError:
            continue
    return False


_ZIP = _magic(b"PK\x03\x04")
_OLE2 = _magic(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")

CHECKS: dict[str, Callable[[bytes], bool]] = {
    PDF: _magic(b"%PDF-"),
    DOCX: _ZIP,
    XLSX: _ZIP,
    PPTX: _ZIP,
    ODT: _ZIP,
    ODS: _ZIP,
    ODP: _ZIP,
    DOC: _OLE2,
    XLS: _OLE2,
    PPT: _OLE2,
    "image/png": _magic(b"\x89PNG\r\n\x1a\n"),
    "image/jpeg": _magic(b"\xff\xd8\xff"),
    "image/gif": _magic(b"GIF87a", b"GIF89a"),
    "image/webp": _webp,
    "text/plain": _text,
    "text/csv": _text,
    "text/markdown": _text,
}
"""Every type the service knows how to verify; the allow-list setting picks among them."""

DEFAULT_TYPES: tuple[str, ...] = tuple(CHECKS)


def normalise(content_type: str | None) -> str:
    """``Text/CSV; charset=utf-8`` -> ``text/csv``; empty for none."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def looks_like(content_type: str, head: bytes) -> bool:
    """True when ``head`` (the first bytes of the content) fits ``content_type``.

    Empty content fits only the text types. A type without a known check never fits, so
    adding an unknown type to the allow-list cannot open a hole.
    """
    check = CHECKS.get(normalise(content_type))
    if check is None:
        return False
    if not head:
        return check is _text
    return check(head[:SNIFF_BYTES])
