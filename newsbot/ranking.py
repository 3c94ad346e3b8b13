"""Most viewed articles over a window of days, from the per-day view counts.

Days are calendar days in the newsroom's zone (the view import stores them that way); ties go
to the more recent article, so a fresh story is not buried under an equally read old one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Date, delete, func, insert, literal, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.store.models import Article, ArticleView, ViewState, ViewTotal, ViewWindow


@dataclass(frozen=True, slots=True)
class Ranked:
    article: Article
    views: int


TOTALS_LOCK_KEY = 0x746F7073  # "tops": one rebuild of window totals at a time (PostgreSQL)
KEEP_WINDOWS = timedelta(days=2)  # totals of windows not rebuilt since are dropped


async def most_viewed(
    session: AsyncSession,
    *,
    first_day: date,
    last_day: date,
    limit: int = 10,
    section: str | None = None,
    only: ColumnElement[bool] | None = None,
) -> list[Ranked]:
    """The most viewed articles of the window, from totals summed once per change of counts.
    ``only``: a condition on ``Article`` the articles must meet (a digest's scope).

    May commit the session: the first call after new view counts stores the window's totals.
    """
    await _ensure_totals(session, first_day, last_day)
    query = (
        select(Article, ViewTotal.views)
        .join(Article, Article.id == ViewTotal.article_id)
        .where(
            ViewTotal.first_day == first_day,
            ViewTotal.last_day == last_day,
            Article.retracted_at.is_(None),  # an editor took it back
        )
        .order_by(
            ViewTotal.views.desc(), ViewTotal.published_at.desc(), ViewTotal.article_id.desc()
        )
        .limit(limit)
    )
    if section:
        query = query.where(Article.section == section)
    if only is not None:
        query = query.where(only)
    rows = await session.execute(query)
    return [Ranked(article, int(views)) for article, views in rows]


async def _generations(session: AsyncSession, first_day: date, last_day: date) -> tuple[int, int]:
    """(generation of the counts, generation the window's totals were summed at; -1: never)."""
    current = await session.scalar(select(ViewState.generation).where(ViewState.id == 1))
    built = await session.scalar(
        select(ViewWindow.generation).where(
            ViewWindow.first_day == first_day, ViewWindow.last_day == last_day
        )
    )
    return (current or 0), (-1 if built is None else built)


async def _ensure_totals(session: AsyncSession, first_day: date, last_day: date) -> None:
    current, built = await _generations(session, first_day, last_day)
    if current == built:
        return
    if session.get_bind().dialect.name == "postgresql":
        # Several processes may ask at once; one sums, the others find it done.
        await session.execute(select(func.pg_advisory_xact_lock(TOTALS_LOCK_KEY)))
        current, built = await _generations(session, first_day, last_day)
        if current == built:
            await session.commit()
            return
    # The generation was read before summing: counts committed meanwhile make the totals
    # look stale (summed again next time), never fresh when they are not.
    now = datetime.now(UTC)
    dropped = await session.execute(
        select(ViewWindow.first_day, ViewWindow.last_day).where(
            (ViewWindow.generation != current)
            | (ViewWindow.built_at < now - KEEP_WINDOWS)
            | ((ViewWindow.first_day == first_day) & (ViewWindow.last_day == last_day))
        )
    )
    for first, last in {*((start, end) for start, end in dropped), (first_day, last_day)}:
        await session.execute(
            delete(ViewTotal).where(ViewTotal.first_day == first, ViewTotal.last_day == last)
        )
        await session.execute(
            delete(ViewWindow).where(ViewWindow.first_day == first, ViewWindow.last_day == last)
        )
    sums = (
        select(ArticleView.article_id, func.sum(ArticleView.views).label("views"))
        .where(ArticleView.day >= first_day, ArticleView.day <= last_day)
        .group_by(ArticleView.article_id)
        .subquery()
    )
    await session.execute(
        insert(ViewTotal).from_select(
            ["first_day", "last_day", "article_id", "views", "published_at"],
            select(
                literal(first_day, Date),
                literal(last_day, Date),
                sums.c.article_id,
                sums.c.views,
                Article.published_at,
            ).join(Article, Article.id == sums.c.article_id),
        )
    )
    session.add(
        ViewWindow(
            first_day=first_day,
            last_day=last_day,
            generation=current,
            built_at=now,
        )
    )
    if session.get_bind().dialect.name == "postgresql":
        # Fresh statistics for the new window's rows, in this transaction (ANALYZE counts
        # them): without, PostgreSQL guesses the window holds a couple of rows, reads all of
        # them and sorts (at 100k articles 30-85 ms a call, 160 ms for a month) instead of
        # the first rows of ix_view_totals_rank (under 1 ms). Costs tens of ms per rebuild.
        await session.flush()
        await session.execute(text("ANALYZE view_totals"))
    await session.commit()


async def latest_view_day(session: AsyncSession) -> date | None:
    day: date | None = await session.scalar(select(func.max(ArticleView.day)))
    return day


async def latest_articles(
    session: AsyncSession,
    *,
    limit: int = 10,
    section: str | None = None,
    only: ColumnElement[bool] | None = None,
) -> list[Article]:
    query = (
        select(Article)
        .where(Article.retracted_at.is_(None))
        .order_by(Article.published_at.desc(), Article.id.desc())
        .limit(limit)
    )
    if section:
        query = query.where(Article.section == section)
    if only is not None:
        query = query.where(only)
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
