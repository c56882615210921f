from __future__ import annotations

from typing import Annotated
from uuid import UUID

from crm_chassis.crud import CallDep
from crm_chassis.crud_routes import crud_router
from fastapi import APIRouter, Query, Response

from support_service.deps import READ, WRITE
from support_service.knowledge import service
from support_service.knowledge.schemas import ArticleHit, ArticleRead, ArticleVersionRead

SearchText = Annotated[str, Query(min_length=1, max_length=500, description="web search syntax")]

# Before the CRUD routes, so /search is not read as an id.
router = APIRouter(prefix="/v1/articles", tags=["knowledge"])


@router.get("/search", dependencies=READ)
async def search_articles(
    call: CallDep,
    q: SearchText,
    category: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[ArticleHit]:
    """Published articles matching ``q``, best first (PostgreSQL text search ranking)."""
    return await service.search(call, q, limit=limit, category=category)


@router.post("/{id:uuid}/publish", response_model=ArticleRead, dependencies=WRITE)
async def publish_article(id: UUID, call: CallDep) -> Response:
    """The draft becomes the published version; earlier versions are kept."""
    return service.VIEW.one(call.actor, await service.publish(call, id))


@router.get("/{id:uuid}/versions", dependencies=READ)
async def article_versions(id: UUID, call: CallDep) -> list[ArticleVersionRead]:
    return [ArticleVersionRead.model_validate(v) for v in await service.versions(call, id)]


crud = crud_router(service.ARTICLES, scope="support", tags=["knowledge"])
