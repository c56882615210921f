"""Reading an inbound RFC 5322 message: who wrote, about what, and what it answers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

from crm_chassis.errors import ValidationFailed

_MSGID = re.compile(r"<[^<>\s]+>")
_NUMBER = re.compile(r"\[#(\d+)\]")


@dataclass(frozen=True)
class Inbound:
    message_id: str | None
    answers: list[str]
    """Message-IDs this message replies to, nearest first (In-Reply-To, then References
    from the newest)."""
    sender: str
    sender_name: str | None
    subject: str
    body: str
    ticket_number: int | None
    """A ``[#123]`` reference in the subject, for clients that drop the headers."""
    attachments: list[tuple[str, str, bytes]]
    """(filename, content type, content) of each attached file."""


def parse(raw: bytes) -> Inbound:
    """The parts of ``raw`` support needs; a 422 when it is not a usable message."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as exc:  # the parser is lenient; anything it raises is bad input
        raise ValidationFailed(f"not an RFC 5322 message: {exc}") from exc
    assert isinstance(message, EmailMessage)
    name, sender = parseaddr(str(message.get("From", "")))
    if "@" not in sender:
        raise ValidationFailed(
            "the message has no sender address",
            errors=[{"field": "From", "message": "a mailbox is required"}],
        )
    in_reply_to = _MSGID.findall(str(message.get("In-Reply-To", "")))
    references = _MSGID.findall(str(message.get("References", "")))
    answers = list(dict.fromkeys([*in_reply_to, *reversed(references)]))
    subject = str(message.get("Subject", "")).strip() or "(no subject)"
    number = _NUMBER.search(subject)
    message_id = _MSGID.search(str(message.get("Message-ID", "")))
    return Inbound(
        message_id=message_id.group(0) if message_id else None,
        answers=answers,
        sender=sender.lower(),
        sender_name=name or None,
        subject=subject[:500],
        body=_text(message),
        ticket_number=int(number.group(1)) if number else None,
        attachments=_attachments(message),
    )


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown or broken charset
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return str(content).strip() or "(empty message)"


def _attachments(message: EmailMessage) -> list[tuple[str, str, bytes]]:
    found = []
    for part in message.iter_attachments():
        content = part.get_payload(decode=True)
        if isinstance(content, bytes):
            found.append((part.get_filename() or "attachment", part.get_content_type(), content))
    return found


def recipients(message: EmailMessage) -> list[str]:
    return [a for _, a in getaddresses([str(v) for v in message.get_all("To", [])])]
