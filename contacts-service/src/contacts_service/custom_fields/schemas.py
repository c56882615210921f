from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contacts_service.common.schemas import Strict
from contacts_service.custom_fields.rules import KEY_PATTERN, FieldType


class ObjectType(StrEnum):
    CONTACT = "contact"
    ACCOUNT = "account"


class CustomFieldCreate(Strict):
    object_type: ObjectType
    key: str = Field(pattern=KEY_PATTERN, description="lower_snake_case, unique per object type")
    label: str = Field(min_length=1, max_length=200)
    type: FieldType
    options: list[str] = Field(default_factory=list, max_length=500)
    required: bool = False
    description: str | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _options_fit_the_type(self) -> CustomFieldCreate:
        _check_options(self.type, self.options)
        return self


class CustomFieldUpdate(Strict):
    """What may change after creation: never the key, object type or type."""

    label: str = Field(min_length=1, max_length=200)
    options: list[str] = Field(default_factory=list, max_length=500)
    required: bool = False
    description: str | None = Field(None, max_length=2000)


def _check_options(type_: FieldType, options: list[str]) -> None:
    enum = type_ in (FieldType.ENUM, FieldType.MULTI_ENUM)
    if enum and not options:
        raise ValueError("enum fields need options")
    if not enum and options:
        raise ValueError("only enum fields take options")
    if len(set(options)) != len(options):
        raise ValueError("options must be unique")


class CustomFieldRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    object_type: str
    key: str
    label: str
    type: str
    options: list[str]
    required: bool
    description: str | None
    version: int
    created_at: datetime
    updated_at: datetime
