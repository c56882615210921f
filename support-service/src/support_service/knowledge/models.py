from __future__ import annotations

from datetime import datetime
from uuid import UUID

from crm_chassis.ids import new_id
from crm_chassis.orm import Entity
from sqlalchemy import Computed, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from support_service.base import Base

SEARCH_DOCUMENT = (
    "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'B')"
)


class Article(Entity, Base):
    """A knowledge-base article (V7): the draft agents edit, and the published version
    customers read and search."""

    __tablename__ = "articles"

    category: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    draft_title: Mapped[str] = mapped_column(String(500))
    draft_body: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(String(500))
    body: Mapped[str | None] = mapped_column(Text)
    published_version: Mapped[int] = mapped_column(Integer, default=0)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    search: Mapped[str] = mapped_column(TSVECTOR, Computed(SEARCH_DOCUMENT, persisted=True))

    __table_args__ = (
        Index("ix_articles_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_articles_search", "search", postgresql_using="gin"),
    )


class ArticleVersion(Base):
    """Each published version of an article, kept."""

    __tablename__ = "article_versions"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[UUID] = mapped_column()
    article_id: Mapped[UUID] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[UUID | None] = mapped_column()

    __table_args__ = (
        Index("uq_article_versions_article_number", "tenant_id", "article_id", "number",
              unique=True),
    )  # fmt: skip
