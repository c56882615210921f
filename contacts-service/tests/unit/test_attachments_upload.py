"""The multipart reader streams the file part whatever the chunking of the body."""

import hashlib
import os

import pytest
from contacts_service.attachments.upload import (
    FilePart,
    Intake,
    clean_filename,
    content_disposition,
)
from crm_chassis.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType, ValidationFailed

BOUNDARY = "----crmboundary42"
HEADER = f"multipart/form-data; boundary={BOUNDARY}"


def body(*parts: tuple[str, str | None, str | None, bytes]) -> bytes:
    out = b""
    for name, filename, ctype, content in parts:
        out += f"--{BOUNDARY}\r\n".encode()
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"Content-Disposition: {disposition}\r\n".encode()
        if ctype:
            out += f"Content-Type: {ctype}\r\n".encode()
        out += b"\r\n" + content + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


async def chunked(data: bytes, size: int):
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def read(data: bytes, size: int, header: str = HEADER) -> tuple[FilePart, bytes]:
    part = await FilePart(chunked(data, size), header).open()
    return part, b"".join([c async for c in part.chunks()])


@pytest.mark.parametrize("chunk_size", [1, 7, 64, 65536])
async def test_the_file_part_streams_out_whatever_the_chunking(chunk_size):
    content = os.urandom(3000) + b"\r\n--" + BOUNDARY.encode()[:-1] + os.urandom(100)
    data = body(
        ("comment", None, None, b"ignored field"),
        ("file", "Q3 plan.pdf", "application/pdf", content),
        ("after", None, None, b"also ignored"),
    )
    part, got = await read(data, chunk_size)
    assert (part.filename, part.content_type) == ("Q3 plan.pdf", "application/pdf")
    assert got == content


async def test_no_file_part_is_422_and_a_cut_body_is_400():
    with pytest.raises(ValidationFailed):
        await read(body(("other", None, None, b"x")), 10)
    cut = body(("file", "a.txt", "text/plain", b"hello world"))[:-30]
    with pytest.raises(BadRequest):
        await read(cut, 10)


async def test_a_body_that_is_not_multipart_is_415():
    with pytest.raises(UnsupportedMediaType):
        FilePart(chunked(b"{}", 10), "application/json")
    with pytest.raises(UnsupportedMediaType):
        FilePart(chunked(b"{}", 10), "multipart/form-data")  # no boundary


async def test_intake_hashes_counts_and_checks_as_it_streams():
    content = b"%PDF-1.7\n" + os.urandom(20_000)
    intake = Intake(chunked(content, 1000), content_type="application/pdf", max_bytes=50_000)
    assert b"".join([c async for c in intake]) == content
    assert intake.size == len(content)
    assert intake.sha256 == hashlib.sha256(content).hexdigest()


async def test_intake_stops_at_the_limit_and_at_a_lying_type():
    too_big = Intake(chunked(b"a" * 5000, 100), content_type="text/plain", max_bytes=4096)
    with pytest.raises(PayloadTooLarge):
        _ = [c async for c in too_big]
    assert too_big.size == 4100  # it stopped right after crossing the limit
    liar = Intake(
        chunked(b"MZ" + b"\x00" * 10_000, 100), content_type="application/pdf", max_bytes=1 << 20
    )
    received = []
    with pytest.raises(UnsupportedMediaType):
        async for c in liar:
            received.append(c)
    assert received == []  # nothing reached the store before the type was confirmed


def test_filenames_lose_paths_and_control_characters():
    assert clean_filename("../../etc/passwd") == "passwd"
    assert clean_filename("C:\\Users\\x\\report.pdf") == "report.pdf"
    assert clean_filename("a\x00b\nc.txt") == "abc.txt"
    assert clean_filename("..") == "attachment" and clean_filename("") == "attachment"


def test_content_disposition_carries_the_exact_utf8_name():
    value = content_disposition('Résumé "final".pdf')
    assert value == (
        'attachment; filename="R_sum_ _final_.pdf"; '
        "filename*=UTF-8''R%C3%A9sum%C3%A9%20%22final%22.pdf"
    )
