"""Bodies of teams and roles."""

from __future__ import annotations

from typing import Annotated, Literal

from crm_chassis.schemas import EntityRead, Strict
from pydantic import Field, StringConstraints, field_validator

from crm_gateway.identity.roles import RESERVED
from crm_gateway.identity.schemas import Role as RoleName
from crm_gateway.identity.schemas import Scope

FieldName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.]{0,99}$")]


class TeamWrite(Strict):
    name: str = Field(min_length=1, max_length=200)


class TeamRead(TeamWrite, EntityRead):
    """A team of users."""


class RoleWrite(Strict):
    """A role of the tenant's own: scopes per service, row visibility, and per resource
    (``contact``, ``deal``...) the fields it may see and write."""

    name: RoleName
    scopes: list[Scope] = Field(default_factory=list, max_length=100)
    visibility: Literal["own", "team", "all"] = "own"
    fields: dict[FieldName, list[FieldName]] = Field(default_factory=dict, max_length=100)

    @field_validator("name")
    @classmethod
    def _not_built_in(cls, name: str) -> str:
        if name in RESERVED:
            raise ValueError(f"{name!r} is a built-in role")
        return name


class RoleRead(RoleWrite, EntityRead):
    """A tenant-defined role."""
