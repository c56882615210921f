"""Dependencies shared by the contacts-service routers."""

from __future__ import annotations

from typing import Annotated, Any

from crm_chassis.auth import ActorDep, require_scope
from crm_chassis.errors import Forbidden
from crm_chassis.openapi import MERGE_PATCH
from fastapi import Depends, Request


async def _phone_region(request: Request) -> str:
    return request.app.state.settings.default_phone_region


def region_of(call: Any) -> str:
    """The region national phone numbers of this call are read in (the tenant default)."""
    return call.settings.default_phone_region if call.settings else DEFAULT_REGION


DEFAULT_REGION = "US"


PhoneRegionDep = Annotated[str, Depends(_phone_region)]
READ = [require_scope("contacts:read")]
WRITE = [require_scope("contacts:write")]
__all__ = ["MERGE_PATCH", "READ", "WRITE", "PhoneRegionDep", "steward"]


def steward(*kinds: str) -> list[Any]:
    """Dependencies that answer 403 unless the caller sees every record of ``kinds`` and
    every field of them: what work over many records at once needs (batch, import,
    duplicate review, merge), since it matches and shows records side by side."""

    async def check(actor: ActorDep) -> None:
        for kind in kinds:
            if not actor.sees_all or actor.allowed_fields(kind) is not None:
                raise Forbidden(
                    f"This works over many {kind}s at once: it needs visibility of every "
                    f"{kind} and every field of it"
                )

    return [Depends(check)]
