from __future__ import annotations

from crm_proto import CloudEvent
from crm_proto.events.contacts import (
    AccountCreated,
    AccountDeleted,
    AccountSnapshot,
    AccountUpdated,
)

from contacts_service.accounts.models import Account
from contacts_service.events import events


def _snapshot(account: Account) -> AccountSnapshot:
    return AccountSnapshot.model_validate(account, from_attributes=True)


def created(account: Account) -> CloudEvent:
    return events.event(
        "crm.contacts.account.created.v1",
        AccountCreated(account=_snapshot(account)),
        tenant_id=account.tenant_id,
        subject=account.id,
        sequence=account.version,
    )


def updated(account: Account, changed: list[str]) -> CloudEvent:
    return events.event(
        "crm.contacts.account.updated.v1",
        AccountUpdated(account=_snapshot(account), changed=changed),
        tenant_id=account.tenant_id,
        subject=account.id,
        sequence=account.version,
    )


def deleted(account: Account) -> CloudEvent:
    return events.event(
        "crm.contacts.account.deleted.v1",
        AccountDeleted(id=account.id),
        tenant_id=account.tenant_id,
        subject=account.id,
        sequence=account.version + 1,
    )
