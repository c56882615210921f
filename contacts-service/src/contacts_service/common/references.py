"""Every column that points at a contact or an account, in one registry.

Merge re-points these from the merged-away records to the survivor, and undo points them
back; privacy erasure finds a contact's rows through them. A module that adds a table
referring to contacts or accounts registers it here (see ``register``), so merge and
erasure never miss it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Reference:
    table: str
    column: str
    kind: Literal["contact", "account"]
    unique_with: tuple[str, ...] = ()
    """Other columns of a unique key with ``column``: a row that would collide after
    re-pointing is a duplicate of one the survivor already has, and is dropped."""


REFERENCES: list[Reference] = [
    Reference("contacts", "account_id", "account"),
    Reference("accounts", "parent_id", "account"),
    Reference("contact_accounts", "contact_id", "contact", unique_with=("account_id",)),
    Reference("contact_accounts", "account_id", "account", unique_with=("contact_id",)),
    Reference("list_members", "member_id", "contact", unique_with=("list_id",)),
    Reference("list_members", "member_id", "account", unique_with=("list_id",)),
    Reference("notes", "contact_id", "contact"),
    Reference("notes", "account_id", "account"),
    Reference("attachments", "contact_id", "contact"),
    Reference("attachments", "account_id", "account"),
    Reference("timeline_entries", "contact_id", "contact"),
    Reference("timeline_entries", "account_id", "account"),
]


def register(reference: Reference) -> None:
    """Add a table's reference (idempotent)."""
    if reference not in REFERENCES:
        REFERENCES.append(reference)


def of_kind(kind: str) -> list[Reference]:
    return [r for r in REFERENCES if r.kind == kind]
