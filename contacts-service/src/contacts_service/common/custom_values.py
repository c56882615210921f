"""What repositories of records with custom values (contacts, accounts) share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, literal, update


class HasCustomValues:
    """For a :class:`~crm_chassis.repository.TenantRepository` whose model has ``custom``."""

    model: Any
    session: Any

    async def drop_custom_key(self, key: str) -> None:
        """Remove ``key`` from every record of the tenant, each record's version bumped."""
        model = self.model
        await self.session.execute(
            update(model)
            .where(*self.scope(), model.custom.has_key(key))  # type: ignore[attr-defined]
            .values(
                custom=model.custom.op("-")(literal(key)),
                updated_at=func.now(),
                version=model.version + 1,
            )
            .execution_options(synchronize_session=False)
        )
