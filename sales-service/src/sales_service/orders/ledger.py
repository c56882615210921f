"""An account's ledger (S9): debits and credits with a running balance, append-only.

A posting locks the account's balance row in the same statement that moves it
(``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``), so concurrent postings get
consecutive balances; entries are never updated or deleted: a mistake is corrected by a
new entry that names the one it corrects.
"""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from crm_chassis.crud import Call
from crm_chassis.ids import new_id
from crm_chassis.money import canonical
from crm_chassis.outbox import emit
from crm_chassis.repository import RowsRepository
from crm_proto import CloudEvent
from crm_proto.events import sales
from crm_proto.money import Money
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from sales_service.common.events import SOURCE
from sales_service.orders.models import AccountBalance, LedgerEntry

DEBITS = ("order", "debit_note")
CREDITS = ("payment", "credit_note")


class LedgerRepository(RowsRepository[LedgerEntry]):
    model = LedgerEntry

    async def move_balance(self, account_id: UUID, currency: str, delta: Decimal) -> Decimal:
        stmt = insert(AccountBalance).values(
            tenant_id=self.tenant_id, account_id=account_id, currency=currency, balance=delta
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["tenant_id", "account_id", "currency"],
            set_={"balance": AccountBalance.balance + stmt.excluded.balance},
        )
        return Decimal(
            (await self.session.execute(stmt.returning(AccountBalance.balance))).scalar_one()
        )

    async def of_account(self, account_id: UUID, limit: int = 500) -> list[LedgerEntry]:
        stmt = self.select().where(LedgerEntry.account_id == account_id)
        return await self.list(stmt.order_by(LedgerEntry.position).limit(limit))

    async def entry(self, entry_id: UUID) -> LedgerEntry | None:
        stmt = self.select().where(LedgerEntry.id == entry_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def balances(self, account_id: UUID) -> dict[str, Decimal]:
        stmt = select(AccountBalance.currency, AccountBalance.balance).where(
            AccountBalance.tenant_id == self.tenant_id, AccountBalance.account_id == account_id
        )
        return dict((await self.session.execute(stmt)).all())


async def post(
    call: Call,
    *,
    account_id: UUID,
    kind: str,
    amount: Money,
    order_id: UUID | None = None,
    corrects_id: UUID | None = None,
    reference: str | None = None,
) -> LedgerEntry:
    """Post ``amount`` (positive) as a debit (orders) or credit (payments, credit notes);
    a ``correction`` is a debit when positive and a credit when negative."""
    value = amount.amount
    if kind in CREDITS:
        debit, credit = Decimal(0), value
    elif kind in DEBITS:
        debit, credit = value, Decimal(0)
    else:  # a correction carries its own sign
        debit, credit = (value, Decimal(0)) if value >= 0 else (Decimal(0), -value)
    repo = LedgerRepository(call.session, call.actor)
    balance = await repo.move_balance(account_id, amount.currency, debit - credit)
    entry = LedgerEntry(
        id=new_id(),
        tenant_id=call.tenant_id,
        account_id=account_id,
        kind=kind,
        currency=amount.currency,
        debit=debit,
        credit=credit,
        balance=balance,
        order_id=order_id,
        corrects_id=corrects_id,
        reference=reference,
    )
    call.session.add(entry)
    await call.session.flush()
    await emit(call.session, posted_event(entry))
    return entry


def money(amount: Decimal, currency: str) -> Money:
    return Money.of(canonical(amount, currency), currency)


def posted_event(entry: LedgerEntry) -> CloudEvent:
    data = sales.LedgerEntryPosted(
        entry_id=entry.id,
        account_id=entry.account_id,
        kind=entry.kind,
        debit=money(entry.debit, entry.currency),
        credit=money(entry.credit, entry.currency),
        balance=money(entry.balance, entry.currency),
        order_id=entry.order_id,
        corrects_id=entry.corrects_id,
    )
    return SOURCE.event(
        "crm.sales.ledger.entry_posted.v1",
        data,
        tenant_id=entry.tenant_id,
        subject=entry.account_id,
    )
