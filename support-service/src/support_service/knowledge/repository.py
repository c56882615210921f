from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.repository import RowsRepository, TenantRepository
from sqlalchemy import func, select

from support_service.knowledge.models import Article, ArticleVersion


class ArticleRepository(TenantRepository[Article]):
    model = Article
    label = "article"
    sortable = {"created_at": Article.created_at, "updated_at": Article.updated_at}

    async def search(self, text: str, *, limit: int, category: str | None) -> list[Any]:
        """Published articles matching ``text`` (web search syntax), best first."""
        query = func.websearch_to_tsquery("english", text)
        rank = func.ts_rank_cd(Article.search, query).label("rank")
        snippet = func.ts_headline(
            "english", Article.body, query, "MaxFragments=1, MaxWords=30, MinWords=10"
        ).label("snippet")
        stmt = (
            select(Article.id, Article.category, Article.title, snippet, rank)
            .where(*self.scope(), Article.status == "published", Article.search.op("@@")(query))
            .order_by(rank.desc(), Article.id)
            .limit(limit)
        )
        if category is not None:
            stmt = stmt.where(Article.category == category)
        return list((await self.session.execute(stmt)).all())

    async def published(self, id_: UUID) -> Article | None:
        stmt = self.select().where(Article.id == id_, Article.status == "published")
        return (await self.session.execute(stmt)).scalar_one_or_none()


class ArticleVersionRepository(RowsRepository[ArticleVersion]):
    model = ArticleVersion

    async def of(self, article_id: UUID) -> list[ArticleVersion]:
        stmt = self.select().where(ArticleVersion.article_id == article_id)
        return await self.list(stmt.order_by(ArticleVersion.number))
