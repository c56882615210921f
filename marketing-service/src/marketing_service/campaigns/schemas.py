from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from crm_chassis.schemas import EntityRead, Strict
from crm_chassis.templates import InvalidTemplate, compile_template
from pydantic import BaseModel, Field, model_validator


def check_template(source: str | None, *, html: bool, field: str) -> None:
    if source is None:
        return
    try:
        compile_template(source, html=html)
    except InvalidTemplate as exc:
        raise ValueError(f"{field}: {exc}") from exc


class Content(Strict):
    """What a recipient gets: subject, HTML and/or text, each a sandboxed Jinja2 template
    over ``contact`` (``{{ contact.first_name | default("there") }}``), ``campaign`` and
    ``unsubscribe_url`` / ``preferences_url``."""

    subject: str = Field(min_length=1, max_length=500)
    html: str | None = Field(None, max_length=500_000)
    text: str | None = Field(None, max_length=200_000)

    @model_validator(mode="after")
    def _templates(self) -> "Content":
        if self.html is None and self.text is None:
            raise ValueError("give html, text or both")
        check_template(self.subject, html=False, field="subject")
        check_template(self.html, html=True, field="html")
        check_template(self.text, html=False, field="text")
        return self


class Variant(Content):
    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")


class AbTest(Strict):
    """Variants sent to ``fraction`` of the audience; after ``wait_seconds`` the variant
    with the best ``metric`` rate goes to the rest."""

    variants: list[Variant] = Field(min_length=2, max_length=5)
    fraction: float = Field(gt=0, lt=1)
    metric: Literal["open", "click"] = "open"
    wait_seconds: int = Field(ge=1, le=30 * 86400)

    @model_validator(mode="after")
    def _unique_names(self) -> "AbTest":
        if len({v.name for v in self.variants}) != len(self.variants):
            raise ValueError("variant names must differ")
        return self


class CampaignWrite(Content):
    name: str = Field(min_length=1, max_length=200)
    channel: Literal["email"] = "email"
    purpose: str = Field("marketing", pattern=r"^[a-z][a-z0-9_]{0,59}$")
    segment_id: UUID | None = None
    list_id: UUID | None = None
    rate_per_second: int = Field(20, ge=0, le=10_000)
    """Sends per second at most (0: as fast as the relay takes them)."""
    ab_test: AbTest | None = None

    @model_validator(mode="after")
    def _one_audience(self) -> "CampaignWrite":
        if (self.segment_id is None) == (self.list_id is None):
            raise ValueError("give exactly one of segment_id and list_id")
        return self


class CampaignRead(EntityRead):
    name: str
    channel: str
    purpose: str
    segment_id: UUID | None
    list_id: UUID | None
    subject: str
    html: str | None
    text: str | None
    rate_per_second: int
    ab_test: dict[str, Any] | None
    winner: str | None
    status: str
    scheduled_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None


class ScheduleWrite(Strict):
    at: datetime | None = None
    """When to send (now when absent)."""


class RecipientRead(BaseModel):
    model_config = {"from_attributes": True}

    id: UUID
    contact_id: UUID
    variant: str | None
    status: str
    reason: str | None
    attempts: int
    sent_at: datetime | None
    opened_at: datetime | None
    clicked_at: datetime | None


class FeedbackWrite(Strict):
    """A bounce or complaint reported after the send (a relay's feedback loop)."""

    message_id: UUID
    kind: Literal["hard", "soft", "complaint"]
    reason: str | None = Field(None, max_length=1000)
