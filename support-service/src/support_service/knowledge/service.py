"""Knowledge-base use cases (V7): drafts through the chassis' CRUD, publishing keeps
every version, search ranks published articles with PostgreSQL text search."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.crud import Call, Crud, View
from crm_chassis.entity_events import EntityEvents
from crm_chassis.errors import Conflict
from crm_chassis.orm import utcnow
from crm_chassis.outbox import emit
from crm_proto.events import support

from support_service.events import SOURCE
from support_service.knowledge.models import ArticleVersion
from support_service.knowledge.repository import ArticleRepository, ArticleVersionRepository
from support_service.knowledge.schemas import ArticleHit, ArticleRead, ArticleUpdate, ArticleWrite

VIEW = View("article", ArticleRead, path="/v1/articles")
EVENTS = EntityEvents.of(SOURCE, "crm.support.article", support)


class Articles(Crud[Any]):
    async def check_patch(self, call: Call, entity: Any, model: Any, changed: list[str]) -> None:
        if "status" in changed and model.status == "published":
            raise Conflict("Publish an article with POST /v1/articles/{id}/publish")


ARTICLES = Articles(ArticleRepository, VIEW, ArticleWrite, EVENTS, update=ArticleUpdate)


async def publish(call: Call, id_: UUID) -> Any:
    """The draft becomes the published version (the previous ones are kept)."""
    article = await ArticleRepository(call.session, call.actor).require(id_, for_update=True)
    at = utcnow()
    article.published_version += 1
    article.title, article.body = article.draft_title, article.draft_body
    article.status, article.published_at = "published", at
    call.session.add(ArticleVersion(
        tenant_id=call.tenant_id, article_id=article.id, number=article.published_version,
        title=article.title, body=article.body, published_at=at,
        published_by=call.actor.user_id,
    ))  # fmt: skip
    await call.session.flush()
    await call.session.refresh(article)
    snapshot = EVENTS.snapshot(article)
    await emit(call.session, EVENTS.event("published", article,
                                          support.ArticlePublished(article=snapshot)))  # fmt: skip
    return article


async def search(
    call: Call, text: str, *, limit: int = 20, category: str | None = None
) -> list[ArticleHit]:
    rows = await ArticleRepository(call.session, call.actor).search(
        text, limit=limit, category=category
    )
    return [ArticleHit(id=r.id, category=r.category, title=r.title, snippet=r.snippet,
                       rank=float(r.rank)) for r in rows]  # fmt: skip


async def versions(call: Call, id_: UUID) -> list[ArticleVersion]:
    await ArticleRepository(call.session, call.actor).require(id_)
    return await ArticleVersionRepository(call.session, call.actor).of(id_)
