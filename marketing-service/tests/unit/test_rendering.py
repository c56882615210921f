"""A campaign message as it goes over SMTP: written the way the chassis writes it
(aiosmtplib's flattening), read back with Python's ``email`` package."""

import email
import re
from email import policy
from uuid import uuid4

import pytest
from aiosmtplib.email import flatten_message
from marketing_service.campaigns.rendering import Addressee, Content, Links, render

LINKS = Links("https://crm.example.com", "a-secret-for-tests-0123456789")
HTML = '<html><body><p>Hi {{ contact.first_name }}</p><a href="https://example.com/a">a</a></body></html>'


def written(content: Content, first_name: str) -> tuple[bytes, email.message.EmailMessage]:
    to = Addressee(
        uuid4(), uuid4(), uuid4(), uuid4(), {"email": "ada@example.com", "first_name": first_name}
    )
    outgoing = render(
        content, to, links=LINKS, sender="CRM <noreply@crm.example.com>", campaign_name="C"
    )
    raw = flatten_message(outgoing.message)
    return raw, email.message_from_bytes(raw, policy=policy.default)


def test_the_unsubscribe_url_is_one_unencoded_header_line():
    raw, _ = written(Content("Hi", None, "Hello"), "Ada")
    line = next(x for x in raw.split(b"\r\n") if x.startswith(b"List-Unsubscribe:"))
    assert re.fullmatch(
        rb"List-Unsubscribe: <https://crm\.example\.com/v1/unsubscribe/[^>\s]+>", line
    )
    assert b"=?" not in line  # no encoded words in a structured header (RFC 2047 5)
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in raw


@pytest.mark.parametrize("name", ["Ada", "Zoë Łukasz 李"])
def test_text_and_html_parts_read_back_as_rendered(name):
    raw, message = written(
        Content("Hi {{ contact.first_name }}", HTML, "Hello {{ contact.first_name }}"), name
    )
    assert raw.isascii()  # non-ASCII goes as encoded words and quoted-printable
    assert message["Subject"] == f"Hi {name}"
    assert message.get_content_type() == "multipart/alternative"
    assert message.get_body(("plain",)).get_content().splitlines() == [f"Hello {name}"]
    html = message.get_body(("html",)).get_content()
    assert f"<p>Hi {name}</p>" in html and "https://crm.example.com/v1/t/c/" in html
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


def test_a_text_only_message_is_a_single_part():
    _, message = written(Content("Hi", None, "Hello {{ contact.first_name }}"), "Ada")
    assert message.get_content_type() == "text/plain" and not message.is_multipart()
    assert message.get_content().splitlines() == ["Hello Ada"]


def test_a_header_value_cannot_carry_a_line_break():
    to = Addressee(
        uuid4(), uuid4(), uuid4(), uuid4(), {"email": "ada@example.com", "first_name": "x"}
    )
    with pytest.raises(ValueError):
        render(
            Content("Hi", None, "x"),
            to,
            links=LINKS,
            sender="CRM <a@b.c>\r\nBcc: x@y.z",
            campaign_name="C",
        )
