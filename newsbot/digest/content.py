"""What a digest lists: the most viewed articles of its window, within its scope.

A chat's digest is one of few *variants*: its window (the last 24 hours, or the last seven
days for a weekly digest), its scope (the whole paper, or the sections and keywords the chat
subscribed to) and its size. Ten thousand chats due at one minute share a handful of
variants, so the articles are chosen once per variant, not once per chat.

Ranking reads the per-day view counts (``newsbot.ranking``): the window's calendar days in
the newsroom's zone, from the day 24 hours (or seven days) ago to today; ties go to the more
recent article. With no views in the window the digest lists the latest articles published
in it, and says so; with none of those either, the window is empty. Keywords match titles
and leads as plain text (case folded), not through the Korean analyzer as headlines do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, or_
from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.ranking import latest_articles, most_viewed
from newsbot.store.delivery_models import SubscriptionKind
from newsbot.store.models import Article

SCOPE_ALL = "all"
SCOPE_SUBSCRIPTIONS = "subscriptions"
SCOPES = (SCOPE_SUBSCRIPTIONS, SCOPE_ALL)
MIN_SIZE, MAX_SIZE, DEFAULT_SIZE = 1, 10, 7


@dataclass(frozen=True, slots=True)
class Scope:
    """The whole paper (no sections, no keywords), or these sections and keywords."""

    sections: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()

    @property
    def whole(self) -> bool:
        return not self.sections and not self.keywords

    @classmethod
    def of(cls, setting: str, subscriptions: Iterable[tuple[str, str]]) -> Scope:
        """A chat's scope from its setting and its subscriptions: all news, or none at all,
        is the whole paper."""
        if setting == SCOPE_ALL:
            return cls()
        sections: set[str] = set()
        keywords: set[str] = set()
        for kind, value in subscriptions:  # kinds as SubscriptionKind values
            if kind == SubscriptionKind.ALL:
                return cls()
            (sections if kind == SubscriptionKind.SECTION else keywords).add(value)
        return cls(tuple(sorted(sections)), tuple(sorted(k.lower() for k in keywords)))

    def condition(self) -> ColumnElement[bool] | None:
        if self.whole:
            return None
        terms: list[ColumnElement[bool]] = []
        if self.sections:
            terms.append(Article.section.in_(self.sections))
        for word in self.keywords:
            terms.append(func.lower(Article.title).contains(word, autoescape=True))
            terms.append(func.lower(Article.lead).contains(word, autoescape=True))
        return or_(*terms)


@dataclass(frozen=True, slots=True)
class Variant:
    first_day: date
    last_day: date
    since: datetime  # the window's start, for the latest articles when nothing was viewed
    scope: Scope
    size: int


@dataclass(frozen=True, slots=True)
class Chosen:
    article_ids: tuple[int, ...]  # rank order
    fell_back: bool  # no views in the window: these are its latest articles

    def encoded(self) -> str:
        return ",".join(map(str, self.article_ids))


def variant(now: datetime, *, weekly: bool, scope: Scope, size: int, zone: ZoneInfo) -> Variant:
    """The window ending ``now``: its view days in the newsroom's ``zone``."""
    since = now - timedelta(days=7 if weekly else 1)
    return Variant(since.astimezone(zone).date(), now.astimezone(zone).date(), since, scope, size)


def decode(article_ids: str) -> list[int]:
    return [int(part) for part in article_ids.split(",") if part]


async def choose(session: AsyncSession, wanted: Variant) -> Chosen:
    """The variant's articles. May commit the session (the first ranking of a window after
    new view counts stores its totals: ``newsbot.ranking.most_viewed``)."""
    only = wanted.scope.condition()
    ranked = await most_viewed(
        session,
        first_day=wanted.first_day,
        last_day=wanted.last_day,
        limit=wanted.size,
        only=only,
    )
    if ranked:
        return Chosen(tuple(r.article.id for r in ranked), fell_back=False)
    recent = Article.published_at >= wanted.since
    latest = await latest_articles(
        session, limit=wanted.size, only=recent if only is None else recent & only
    )
    return Chosen(tuple(a.id for a in latest), fell_back=True)
