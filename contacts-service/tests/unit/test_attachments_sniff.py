"""The content must look like the type it declares."""

import pytest
from contacts_service.attachments.sniff import DOCX, PDF, SNIFF_BYTES, looks_like

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


@pytest.mark.parametrize(
    ("content_type", "head"),
    [
        (PDF, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3"),
        ("image/png", PNG),
        ("image/jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF"),
        ("image/gif", b"GIF89a\x01\x00"),
        ("image/webp", b"RIFF\x24\x00\x00\x00WEBPVP8 "),
        (DOCX, b"PK\x03\x04\x14\x00\x06\x00"),
        ("application/msword", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00"),
        ("text/csv", "name,city\nZoë,Zürich\n".encode()),
        ("text/plain; charset=utf-8", b"\xef\xbb\xbfhello\r\n\tworld"),
        ("Text/Plain", b""),
    ],
)
def test_content_of_the_declared_type_passes(content_type, head):
    assert looks_like(content_type, head)


@pytest.mark.parametrize(
    ("content_type", "head"),
    [
        (PDF, b"MZ\x90\x00\x03"),  # a Windows executable declared as a PDF
        (PDF, b""),
        ("image/png", b"\xff\xd8\xff\xe0"),  # a JPEG declared as PNG
        (DOCX, b"%PDF-1.4"),
        ("text/plain", b"ELF\x7f\x02\x01\x00\x00"),
        ("text/csv", b"a,b\x00c"),
        ("text/plain", b"\xff\xfe\x00\x00not utf-8"),
        ("application/x-msdownload", b"MZ"),  # no check known: never fits
        ("text/html", b"<html>"),
    ],
)
def test_content_that_lies_about_its_type_fails(content_type, head):
    assert not looks_like(content_type, head)


def test_text_cut_inside_a_multibyte_character_still_passes():
    sample = ("é" * SNIFF_BYTES).encode()[: SNIFF_BYTES - 1]  # ends mid-character
    assert looks_like("text/plain", sample)
