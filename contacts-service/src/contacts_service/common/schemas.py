"""Pydantic pieces shared by contacts and accounts."""

from __future__ import annotations

from typing import Annotated

from crm_chassis.schemas import Strict
from pydantic import AfterValidator, Field, StringConstraints

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
PHONE_PATTERN = r"^\+?[0-9 ()./x-]{3,40}$"
MAX_TAGS = 100


class EmailItem(Strict):
    email: Annotated[str, StringConstraints(max_length=320, pattern=EMAIL_PATTERN, to_lower=True)]
    label: str | None = Field(None, max_length=40)
    primary: bool = False


class PhoneItem(Strict):
    number: str = Field(max_length=40, pattern=PHONE_PATTERN)
    label: str | None = Field(None, max_length=40)
    primary: bool = False
    e164: str | None = Field(None, description="set by the service; ignored on input")


class Address(Strict):
    label: str | None = Field(None, max_length=40)
    street: str | None = Field(None, max_length=500)
    city: str | None = Field(None, max_length=120)
    region: str | None = Field(None, max_length=120)
    postal_code: str | None = Field(None, max_length=20)
    country: str | None = Field(None, pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2")
    primary: bool = False


def _clean_tags(tags: list[str]) -> list[str]:
    out: list[str] = []
    for tag in tags:
        t = " ".join(tag.split()).lower()
        if t and t not in out:
            out.append(t)
    if len(out) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} tags")
    return out


Tags = Annotated[
    list[Annotated[str, StringConstraints(max_length=60)]], AfterValidator(_clean_tags)
]
