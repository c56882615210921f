from __future__ import annotations

from datetime import date
from typing import Self

from crm_chassis.schemas import EntityRead, Strict
from pydantic import Field, model_validator

from support_service.calendars.clocks import clock_of_values


class CalendarWrite(Strict):
    """Weekly hours per weekday (``{"mon": [["09:00", "17:00"]]}``) in an IANA time
    zone, own holiday dates, and optionally a country's (and region's) public holidays."""

    name: str = Field(min_length=1, max_length=200)
    time_zone: str = Field(min_length=1, max_length=64, examples=["Europe/Berlin"])
    hours: dict[str, list[tuple[str, str]]]
    holidays: list[date] = []
    country: str | None = Field(None, max_length=8, examples=["DE"])
    subdivision: str | None = Field(None, max_length=16)

    @model_validator(mode="after")
    def _is_a_calendar(self) -> Self:
        clock_of_values(self.time_zone, self.hours, self.holidays, self.country, self.subdivision)
        return self


class CalendarRead(CalendarWrite, EntityRead):
    """A business calendar as the API shows it."""
