"""The SLA explanation as the API shows it: each metric's measurement, its pauses and
its earlier measurements, in seconds as exact decimal strings
(``elapsed_seconds + remaining_seconds == target_seconds``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel

from support_service.sla.clock import Measurement, MetricReport


def seconds(us: int) -> str:
    return str(Decimal(us).scaleb(-6).quantize(Decimal("0.000001")))


class PauseRead(BaseModel):
    started_at: datetime
    ended_at: datetime | None
    status: str


class MeasurementRead(BaseModel):
    metric: str
    state: str
    policy_id: UUID | None
    clock: str
    target_seconds: str
    elapsed_seconds: str
    remaining_seconds: str
    started_at: datetime
    due_at: datetime | None
    warn_at: datetime | None
    breached_at: datetime | None
    fulfilled_at: datetime | None
    ended_at: datetime | None
    ended_by: str | None
    pauses: list[PauseRead]

    @classmethod
    def of(cls, m: Measurement) -> MeasurementRead:
        return cls(
            metric=m.metric, state=m.state, policy_id=UUID(m.policy) if m.policy else None,
            clock=m.clock, target_seconds=seconds(m.target_us),
            elapsed_seconds=seconds(m.elapsed_us), remaining_seconds=seconds(m.remaining_us),
            started_at=m.started_at, due_at=m.due_at, warn_at=m.warn_at,
            breached_at=m.breached_at, fulfilled_at=m.fulfilled_at, ended_at=m.ended_at,
            ended_by=m.ended_by,
            pauses=[PauseRead(started_at=p.started_at, ended_at=p.ended_at, status=p.status)
                    for p in m.pauses],
        )  # fmt: skip


class MetricRead(MeasurementRead):
    history: list[MeasurementRead]

    @classmethod
    def of_report(cls, report: MetricReport) -> MetricRead:
        base = MeasurementRead.of(report.current).model_dump()
        return cls(**base, history=[MeasurementRead.of(m) for m in report.history])


class SlaRead(BaseModel):
    ticket_id: UUID
    computed_at: datetime
    sla: list[MetricRead]
    ola: list[MetricRead]


def explain(ticket_id: UUID, now: datetime, reports: dict[str, dict[str, MetricReport]]) -> SlaRead:
    return SlaRead(
        ticket_id=ticket_id,
        computed_at=now,
        sla=[MetricRead.of_report(r) for r in reports["sla"].values()],
        ola=[MetricRead.of_report(r) for r in reports["ola"].values()],
    )
