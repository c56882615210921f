from __future__ import annotations

from uuid import UUID

from crm_chassis.ids import new_id
from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from support_service.base import Base


class MergeMove(Base):
    """One reference re-pointed by a contacts merge, kept so an undo can point it back."""

    __tablename__ = "merge_moves"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[UUID] = mapped_column()
    merge_id: Mapped[UUID] = mapped_column()
    table_name: Mapped[str] = mapped_column(String(32))
    column_name: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[UUID] = mapped_column()
    from_id: Mapped[UUID] = mapped_column()

    __table_args__ = (Index("ix_merge_moves_tenant_merge", "tenant_id", "merge_id"),)
