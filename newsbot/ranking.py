"""Most viewed articles over a window of days, from the per-day view counts.

Days are calendar days in the newsroom's zone (the view import stores them that way); ties go
to the more recent article, so a fresh story is not buried under an equally read old one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

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


class Window(enum.StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


_WINDOW_DAYS = {Window.DAY: 1, Window.WEEK: 7, Window.MONTH: 30}


@dataclass(frozen=True, slots=True)
class TopEntry:
    article: Article
    views: int | None  # None when the list fell back to the latest articles


@dataclass(frozen=True, slots=True)
class Top:
    entries: list[TopEntry]
    first_day: date
    last_day: date
    fell_back: bool  # no views in the window: these are the latest articles instead


def window_days(window: Window, now: datetime, zone: ZoneInfo) -> tuple[date, date]:
    """The calendar days a window covers, ending today in the newsroom's zone."""
    today = now.astimezone(zone).date()
    return today - timedelta(days=_WINDOW_DAYS[window] - 1), today


async def top_articles(
    session: AsyncSession,
    *,
    window: Window,
    now: datetime,
    zone: ZoneInfo,
    limit: int = 7,
    section: str | None = None,
) -> Top:
    """Most viewed in the window; with no views there, the latest (and it says so)."""
    first_day, last_day = window_days(window, now, zone)
    ranked = await most_viewed(
        session, first_day=first_day, last_day=last_day, limit=limit, section=section
    )
    if ranked:
        entries = [TopEntry(r.article, r.views) for r in ranked]
        return Top(entries, first_day, last_day, fell_back=False)
    latest = await latest_articles(session, limit=limit, section=section)
    return Top([TopEntry(a, None) for a in latest], first_day, last_day, fell_back=True)
