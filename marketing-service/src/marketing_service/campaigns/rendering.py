"""A campaign message for one recipient: personalised, tracked, with one-click unsubscribe.

The templates are the sandboxed chassis ones (compiled once per sender run). Links in the
HTML part become signed click redirects and an open pixel is appended; every message
carries ``List-Unsubscribe`` (the public URL of the unsubscribe endpoint, signed for this
recipient) and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage
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
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to.contact["email"]
    message["Subject"] = subject
    domain = parseaddr(sender)[1].rpartition("@")[2] or "crm.localhost"
    message["Message-ID"] = f"<{to.message_id}@{domain}>"
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    text = compiled(content.text, False).render(context) if content.text else None
    html = compiled(content.html, True).render(context) if content.html else None
    if html is not None:
        html = _tracked(html, to, links)
    message.set_content(text if text is not None else _plain(html or ""))
    if html is not None:
        message.add_alternative(html, subtype="html")
    return Outgoing(to=to.contact["email"], message=message)


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
