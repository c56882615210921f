"""An account's stored columns, derived from its write model (every write path uses it)."""

from __future__ import annotations

from typing import Any

from contacts_service.accounts.schemas import AccountWrite
from contacts_service.common.phones import to_e164


def columns(data: AccountWrite, *, phone_region: str, custom: dict[str, Any]) -> dict[str, Any]:
    values = data.model_dump(mode="python")
    values["type"] = data.type.value if data.type else None
    values["address"] = data.address.model_dump(mode="json") if data.address else None
    values["phone"] = (to_e164(data.phone, phone_region) or data.phone) if data.phone else None
    values["custom"] = custom
    words = [data.name, data.domain, data.industry, *(data.domain or "").split(".")[:1]]
    values["search_text"] = " ".join(w.lower() for w in words if w)
    return values
