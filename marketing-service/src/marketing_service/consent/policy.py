"""Whether a contact may be sent a message on a channel for a purpose (M7), pure.

Consent is opt-in: only an explicit ``granted`` for the channel and purpose allows a
send; ``denied``, ``unknown`` or nothing refuse it. Do-not-contact, an erased or deleted
contact, a missing address, and a local suppression (unsubscribed here and not yet
recorded by contacts-service, a hard bounce, a complaint) refuse it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ADDRESS_OF = {"email": "email"}


@dataclass(frozen=True)
class Facts:
    """What the decision reads, from the contacts projection and the suppressions."""

    exists: bool
    do_not_contact: bool
    consent: Mapping[str, Mapping[str, Any]]
    address: str | None
    suppressed: str | None = None
    """The reason of a suppression for this channel and purpose, if any."""


def refusal(facts: Facts | None, channel: str, purpose: str) -> str | None:
    """Why a send is refused, or None when it may go."""
    if facts is None or not facts.exists:
        return "unknown_contact"
    if facts.do_not_contact:
        return "do_not_contact"
    if not facts.address:
        return "no_address"
    if facts.suppressed:
        return facts.suppressed
    status = (facts.consent.get(channel) or {}).get(purpose)
    if status != "granted":
        return "no_consent" if status in (None, "unknown") else "consent_denied"
    return None
