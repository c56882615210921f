"""The contact events of a batch, for the chassis' bulk outbox path.

The batch path writes thousands of ``contact.created``/``contact.updated`` events per
second, so their payloads are plain dicts shaped as ``ContactSnapshot`` dumps (the fast
path of :class:`crm_chassis.outbox.BulkEvents`, not validated per event); a test holds
them to the model and to what ``emit`` would write.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from crm_chassis.outbox import BulkEvents
from crm_proto.events.contacts import ContactSnapshot, PhoneEntry

from contacts_service.events import events

CREATED = "crm.contacts.contact.created.v1"
UPDATED = "crm.contacts.contact.updated.v1"
LINKED = "crm.contacts.contact_account.linked.v1"

_META = ("id", "version", "created_at", "updated_at")
# The payload models' fields in their order, so the dicts dump as the models would (and
# follow a field added to the model). Stored phone entries put ``e164`` last.
SNAPSHOT_FIELDS = tuple(f for f in ContactSnapshot.model_fields if f not in _META)
PHONE_FIELDS = tuple(PhoneEntry.model_fields)


def snapshot(
    contact_id: UUID,
    columns: dict[str, Any],
    *,
    version: int,
    created_at: datetime,
    updated_at: datetime,
) -> dict[str, Any]:
    """The ``ContactSnapshot`` of a contact stored with ``columns`` (from ``derive``)."""
    out: dict[str, Any] = {"id": contact_id}
    for name in SNAPSHOT_FIELDS:
        out[name] = columns.get(name)
    if out["phones"]:
        out["phones"] = [{k: p.get(k) for k in PHONE_FIELDS} for p in out["phones"]]
    out["version"] = version
    out["created_at"] = created_at
    out["updated_at"] = updated_at
    return out


class ContactEvents(BulkEvents):
    """One batch's contact events, all at ``now``."""

    def __init__(self, tenant_id: UUID, now: datetime) -> None:
        super().__init__(source=events.source, tenant_id=tenant_id, time=now)

    def created(self, contact: dict[str, Any]) -> None:
        self.add(CREATED, {"contact": contact}, subject=contact["id"], sequence=contact["version"])

    def updated(self, contact: dict[str, Any], changed: list[str]) -> None:
        self.add(
            UPDATED,
            {"contact": contact, "changed": changed},
            subject=contact["id"],
            sequence=contact["version"],
        )

    def linked(self, contact_id: UUID, account_id: UUID) -> None:
        data = {"contact_id": contact_id, "account_id": account_id, "role": None, "primary": True}
        self.add(LINKED, data, subject=contact_id)
