"""Dependencies shared by the contacts-service routers."""

from __future__ import annotations

from typing import Annotated

from crm_chassis.auth import require_scope
from crm_chassis.openapi import MERGE_PATCH
from fastapi import Depends, Request


def _phone_region(request: Request) -> str:
    return request.app.state.settings.default_phone_region


PhoneRegionDep = Annotated[str, Depends(_phone_region)]
READ = [require_scope("contacts:read")]
WRITE = [require_scope("contacts:write")]
__all__ = ["MERGE_PATCH", "READ", "WRITE", "PhoneRegionDep"]
