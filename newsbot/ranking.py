"""Most viewed articles over a window of days, from the per-day view counts.

Days are calendar days in the newsroom's zone (the view import stores them that way); ties go
to the more recent article, so a fresh story is not buried under an equally read old one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.store.models import Article, ArticleView


@dataclass(frozen=True, slots=True)
class Ranked:
    article: Article
    views: int


async def most_viewed(
    session: AsyncSession,
    *,
    first_day: date,
    last_day: date,
    limit: int = 10,
    section: str | None = None,
) -> list[Ranked]:
    totals = (
        select(ArticleView.article_id, func.sum(ArticleView.views).label("views"))
        .where(ArticleView.day >= first_day, ArticleView.day <= last_day)
        .group_by(ArticleView.article_id)
        .subquery()
    )
    query = (
        select(Article, totals.c.views)
        .join(totals, totals.c.article_id == Article.id)
        .order_by(totals.c.views.desc(), Article.published_at.desc(), Article.id.desc())
        .limit(limit)
    )
    if section:
        query = query.where(Article.section == section)
    rows = await session.execute(query)
    return [Ranked(article, int(views)) for article, views in rows]


async def latest_view_day(session: AsyncSession) -> date | None:
    day: date | None = await session.scalar(select(func.max(ArticleView.day)))
    return day


async def latest_articles(
    session: AsyncSession, *, limit: int = 10, section: str | None = None
) -> list[Article]:
    query = select(Article).order_by(Article.published_at.desc(), Article.id.desc()).limit(limit)
    if section:
        query = query.where(Article.section == section)
    return list(await session.scalars(query))
