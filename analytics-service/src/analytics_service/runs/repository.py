"""All SQL of ``model_runs``, scoped by tenant."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from analytics_service.runs.models import ModelRun


class RunRepository:
    def __init__(self, session: AsyncSession, tenant_id: UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def _select(self, model: str) -> Select[ModelRun]:
        return select(ModelRun).where(ModelRun.tenant_id == self.tenant_id, ModelRun.model == model)

    async def get(self, model: str, run_id: UUID) -> ModelRun | None:
        return (
            await self.session.scalars(self._select(model).where(ModelRun.id == run_id))
        ).first()

    async def latest(self, model: str) -> ModelRun | None:
        stmt = self._select(model).order_by(ModelRun.version.desc()).limit(1)
        return (await self.session.scalars(stmt)).first()

    async def versions(self, model: str, limit: int = 50) -> list[ModelRun]:
        stmt = self._select(model).order_by(ModelRun.version.desc()).limit(limit)
        return list(await self.session.scalars(stmt))

    def add(self, run: ModelRun) -> None:
        self.session.add(run)
