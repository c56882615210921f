"""Phone numbers normalised to E.164 with Google's libphonenumber (``phonenumbers``)."""

from __future__ import annotations

import re

import phonenumbers

_DIGITS = re.compile(r"\D+")


def to_e164(raw: str, default_region: str = "US") -> str | None:
    """The E.164 form of ``raw`` (``+442079460000``), or None when it is not a number.

    Numbers written with a ``+`` or ``00`` prefix parse in any region; others are read in
    ``default_region``.
    """
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        parsed = phonenumbers.parse(text, None if text.startswith("+") else default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def lookup_keys(raw: str, default_region: str = "US") -> list[str]:
    """Keys under which a number is found: its E.164 form, else its bare digits."""
    e164 = to_e164(raw, default_region)
    if e164:
        return [e164]
    digits = _DIGITS.sub("", raw)
    return [digits] if digits else []
