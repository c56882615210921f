"""A campaign message for one recipient: personalised, tracked, with one-click unsubscribe.

The templates are the sandboxed chassis ones (compiled once per sender run). Links in the
HTML part become signed click redirects and an open pixel is appended; every message
carries ``List-Unsubscribe`` (the public URL of the unsubscribe endpoint, signed for this
recipient) and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058).
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import EmailPolicy, Policy, default
from email.utils import parseaddr
from functools import cache
from typing import Any
from uuid import UUID

from crm_chassis.templates import CompiledTemplate, compile_template

from marketing_service.delivery.channel import Outgoing
from marketing_service.signing import sign

LINK = re.compile(r"""(<a\b[^>]*?\bhref\s*=\s*)(["'])(https?://[^"']+)\2""", re.IGNORECASE)
CONTACT_FIELDS = ("first_name", "last_name", "email", "title", "company", "city", "country")


@dataclass(frozen=True)
class Links:
    """Where recipients' browsers reach us, and the key links are signed with."""

    base_url: str
    secret: str

    def token(self, purpose: str, payload: dict[str, Any]) -> str:
        return sign(self.secret, purpose, payload)

    def unsubscribe(
        self, tenant_id: UUID, contact_id: UUID, channel: str, purpose: str, message_id: UUID | None
    ) -> tuple[str, str]:
        payload = {
            "t": str(tenant_id),
            "c": str(contact_id),
            "ch": channel,
            "p": purpose,
            "m": str(message_id) if message_id else None,
        }
        return (
            f"{self.base_url}/v1/unsubscribe/{self.token('unsubscribe', payload)}",
            f"{self.base_url}/v1/preferences/{self.token('preferences', payload)}",
        )


_VERBATIM = re.compile(r"[\x20-\x7e]{0,900}")
"""A header value kept as given: printable ASCII on one line, short of SMTP's limit."""


class _Verbatim(str):
    """A header written as it was given, unfolded (an email header object: ``name`` and
    ``fold``)."""

    name: str

    def __new__(cls, name: str, value: str) -> _Verbatim:
        header = super().__new__(cls, value)
        header.name = name
        return header

    def fold(self, *, policy: Policy) -> str:
        return f"{self.name}: {self}{policy.linesep}"


class _Policy(EmailPolicy):
    """email's default policy, except that a header value of printable ASCII is kept as
    given rather than parsed into a header object and refolded when the message is
    written: that is most of the cost of building a message, and folding a long URL
    (``List-Unsubscribe``'s) at 78 characters turns it into encoded words, which a
    structured header may not hold (RFC 2047 section 5). Other values (non-ASCII names
    and subjects) are parsed and encoded as usual; CR or LF in a value is refused."""

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        if type(value) is str and _VERBATIM.fullmatch(value):
            return (name, _Verbatim(name, value))
        return super().header_store_parse(name, value)

    def header_max_count(self, name: str) -> int | None:
        return _max_count(name.lower())


@cache
def _max_count(name: str) -> int | None:
    return default.header_max_count(name)


POLICY = _Policy()


@cache
def compiled(source: str, html: bool) -> CompiledTemplate:
    return compile_template(source, html=html)


@dataclass(frozen=True)
class Content:
    subject: str
    html: str | None
    text: str | None


@dataclass(frozen=True)
class Addressee:
    tenant_id: UUID
    contact_id: UUID
    message_id: UUID
    campaign_id: UUID | None
    contact: dict[str, Any]


def render(
    content: Content,
    to: Addressee,
    *,
    links: Links,
    sender: str,
    campaign_name: str,
    channel: str = "email",
    purpose: str = "marketing",
) -> Outgoing:
    unsubscribe_url, preferences_url = links.unsubscribe(
        to.tenant_id, to.contact_id, channel, purpose, to.message_id
    )
    context = {
        "contact": to.contact,
        "campaign": {"name": campaign_name},
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": preferences_url,
    }
    subject = " ".join(compiled(content.subject, False).render(context).split())
    message = EmailMessage(policy=POLICY)
    message["From"] = sender
    message["To"] = to.contact["email"]
    message["Subject"] = subject
    domain = parseaddr(sender)[1].rpartition("@")[2] or "crm.localhost"
    message["Message-ID"] = f"<{to.message_id}@{domain}>"
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["MIME-Version"] = "1.0"
    text = compiled(content.text, False).render(context) if content.text else None
    html = compiled(content.html, True).render(context) if content.html else None
    if html is not None:
        html = _tracked(html, to, links)
    plain = text if text is not None else _plain(html or "")
    if html is None:
        _set_text(message, plain, "plain")
    else:
        message["Content-Type"] = f'multipart/alternative; boundary="=_{to.message_id.hex}"'
        for body, subtype in ((plain, "plain"), (html, "html")):
            part = EmailMessage(policy=POLICY)
            _set_text(part, body, subtype)
            message.attach(part)
    return Outgoing(to=to.contact["email"], message=message)


def _set_text(part: EmailMessage, body: str, subtype: str) -> None:
    """A text part in UTF-8: as it is when it is ASCII in lines SMTP carries (at most 998
    characters, RFC 5322 2.1.1), else quoted-printable."""
    if not body.endswith("\n"):
        body += "\n"
    if body.isascii() and all(len(line) <= 998 for line in body.splitlines()):
        encoding, payload = "7bit", body
    else:
        encoding = "quoted-printable"
        payload = binascii.b2a_qp(body.encode(), istext=True).decode("ascii")
    part["Content-Type"] = f'text/{subtype}; charset="utf-8"'
    part["Content-Transfer-Encoding"] = encoding
    part.set_payload(payload)


def _tracked(html: str, to: Addressee, links: Links) -> str:
    base = {
        "t": str(to.tenant_id),
        "m": str(to.message_id),
        "c": str(to.contact_id),
        "k": str(to.campaign_id) if to.campaign_id else None,
    }

    def click(match: re.Match[str]) -> str:
        token = links.token("click", {**base, "u": match.group(3)})
        return f"{match.group(1)}{match.group(2)}{links.base_url}/v1/t/c/{token}{match.group(2)}"

    tracked = LINK.sub(click, html)
    pixel = (
        f'<img src="{links.base_url}/v1/t/o/{links.token("open", base)}" width="1" height="1" '
        'alt="" style="display:none">'
    )
    if "</body>" in tracked.lower():
        at = tracked.lower().rindex("</body>")
        return tracked[:at] + pixel + tracked[at:]
    return tracked + pixel


def _plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).strip()


def contact_context(row: Any) -> dict[str, Any]:
    """What a template sees of a contact: its attributes and custom fields."""
    context = {name: getattr(row, name, None) for name in CONTACT_FIELDS}
    context["custom"] = dict(getattr(row, "custom", None) or {})
    return context
