"""Channel use cases (S12): partners in up to three levels, and deal registrations with
conflict detection: while one partner's registration of an account is open (pending or
approved), another partner's registration of it is a ``conflict`` naming the first."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.crud import Call, Crud, View, load_for_update
from crm_chassis.errors import Conflict, ValidationFailed
from crm_chassis.outbox import emit
from crm_chassis.repository import TenantRepository
from crm_proto.events import sales
from sqlalchemy import func, select

from sales_service.channels.models import DealRegistration, Partner
from sales_service.channels.schemas import PartnerRead, PartnerWrite, RegistrationWrite
from sales_service.common.events import about, lifecycle_events

OPEN = ("pending", "approved")


class PartnerRepository(TenantRepository[Partner]):
    model = Partner
    label = "partner"


class RegistrationRepository(TenantRepository[DealRegistration]):
    model = DealRegistration
    label = "deal registration"

    async def lock_account(self, account_id: UUID) -> None:
        """Serialise registrations of one account (a transaction-scoped advisory lock)."""
        key = func.hashtextextended(f"{self.tenant_id}:{account_id}", 0)
        await self.session.execute(select(func.pg_advisory_xact_lock(key)))

    async def open_of_other_partner(
        self, account_id: UUID, partner_id: UUID
    ) -> DealRegistration | None:
        stmt = (
            self.select()
            .where(
                DealRegistration.account_id == account_id,
                DealRegistration.partner_id != partner_id,
                DealRegistration.status.in_(OPEN),
            )
            .order_by(DealRegistration.created_at)
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()


class Partners(Crud[Partner]):
    async def _check_level(self, call: Call, data: Any) -> None:
        if data.level == 1:
            if data.parent_id is not None:
                raise ValidationFailed(
                    "A level-1 partner has no parent",
                    errors=[{"field": "parent_id", "message": "must be empty"}],
                )
            return
        parent = (
            await PartnerRepository(call.session, call.actor).get(data.parent_id)
            if data.parent_id
            else None
        )
        if parent is None or parent.level != data.level - 1:
            raise ValidationFailed(
                f"A level-{data.level} partner sells through a level-{data.level - 1} partner",
                errors=[
                    {"field": "parent_id", "message": f"must be a level-{data.level - 1} partner"}
                ],
            )

    async def check_create(self, call: Call, data: Any) -> None:
        await self._check_level(call, data)

    async def check_patch(self, call: Call, entity: Any, model: Any, changed: list[str]) -> None:
        if "level" in changed or "parent_id" in changed:
            await self._check_level(call, model)


PARTNERS = Partners(
    PartnerRepository,
    View("partner", PartnerRead, path="/v1/partners"),
    PartnerWrite,
    lifecycle_events("partner"),
)


def channel_level(partner: Partner | None) -> str:
    return "direct" if partner is None else f"{partner.level}-level"


async def register(call: Call, data: RegistrationWrite) -> DealRegistration:
    await PartnerRepository(call.session, call.actor).require(data.partner_id)
    repo = RegistrationRepository(call.session, call.actor)
    await repo.lock_account(data.account_id)
    other = await repo.open_of_other_partner(data.account_id, data.partner_id)
    registration = DealRegistration(
        tenant_id=call.tenant_id,
        partner_id=data.partner_id,
        account_id=data.account_id,
        deal_id=data.deal_id,
        name=data.name,
        status="conflict" if other else "pending",
        conflicts_with=other.id if other else None,
    )
    await repo.add(registration)
    await emit(call.session, _event(registration))
    return registration


async def decide(
    call: Call, registration_id: UUID, status: str, if_match: str | None
) -> DealRegistration:
    repo = RegistrationRepository(call.session, call.actor)
    registration = await load_for_update(repo, registration_id, if_match)
    if registration.status not in ("pending", "conflict"):
        raise Conflict(f"The registration is {registration.status} already")
    if status == "approved":
        await repo.lock_account(registration.account_id)
        other = await repo.open_of_other_partner(registration.account_id, registration.partner_id)
        if other is not None and other.status == "approved":
            raise Conflict(
                f"Registration {other.id} of another partner is approved for this account"
            )
    registration.status = status
    await call.session.flush()
    await emit(call.session, _event(registration))
    return registration


def _event(registration: DealRegistration) -> Any:
    data = sales.DealRegistrationSubmitted(
        registration_id=registration.id,
        partner_id=registration.partner_id,
        account_id=registration.account_id,
        status=registration.status,
        conflicts_with=registration.conflicts_with,
    )
    return about("crm.sales.deal_registration.submitted.v1", registration, data)
