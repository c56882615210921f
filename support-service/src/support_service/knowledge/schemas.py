from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from crm_chassis.schemas import EntityRead, Strict
from pydantic import BaseModel, ConfigDict, Field


class ArticleWrite(Strict):
    """The draft: what agents edit; publishing makes it what customers read."""

    category: str | None = Field(None, max_length=200)
    draft_title: str = Field(min_length=1, max_length=500)
    draft_body: str = Field(min_length=1, max_length=200_000)


class ArticleUpdate(ArticleWrite):
    status: Literal["draft", "published", "archived"] = "draft"


class ArticleRead(ArticleUpdate, EntityRead):
    """An article: its draft and its published version."""

    title: str | None = None
    body: str | None = None
    published_version: int = 0
    published_at: datetime | None = None


class PublishedArticle(BaseModel):
    """An article as customers see it: its published version only."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    category: str | None
    title: str
    body: str
    published_version: int
    published_at: datetime


class ArticleHit(BaseModel):
    id: UUID
    category: str | None
    title: str
    snippet: str
    rank: float


class ArticleVersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    title: str
    body: str
    published_at: datetime
    published_by: UUID | None
