"""The ORM base: naming convention, and the columns every tenant-owned entity carries.

Each service declares its own ``Base`` over :func:`new_metadata` (services never share a
database, so they never share a MetaData) and mixes :class:`Entity` into its models.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import DateTime, Integer, MetaData, func
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from crm_chassis.ids import new_id

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_metadata() -> MetaData:
    """A MetaData with the platform's constraint naming convention."""
    return MetaData(naming_convention=NAMING_CONVENTION)


class Entity:
    """Columns of every tenant-owned aggregate: UUIDv7 id, tenant, version, timestamps.

    ``version`` is SQLAlchemy's version counter: every UPDATE checks and bumps it, so two
    writers cannot silently overwrite each other, and it is the resource's ``ETag``.
    """

    # Models declare their own composite indexes led by tenant_id for their list queries.
    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id, sort_order=-3)
    tenant_id: Mapped[UUID] = mapped_column(sort_order=-2)
    version: Mapped[int] = mapped_column(Integer, nullable=False, sort_order=-1)
    # Python-side defaults, so the values are known without a round trip; the server
    # defaults serve bulk paths (COPY) that bypass the ORM.
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True),
        default=utcnow,
        onupdate=utcnow,
        server_default=func.now(),
        nullable=False,
    )

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, object]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class Owned:
    """Columns of a record a user owns: the owner and the team it belongs to.

    A repository over an ``Owned`` model applies the caller's visibility to every query
    (see :class:`crm_chassis.repository.TenantRepository`).
    """

    owner_id: Mapped[UUID | None] = mapped_column(nullable=True)
    team_id: Mapped[UUID | None] = mapped_column(nullable=True)
