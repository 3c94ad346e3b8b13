"""What tests put in the store, built one way: article drafts, chats and what they take, feeds.

Every builder fills in a valid, unremarkable default for whatever a test does not name, so a
test spells out only the data its assertions depend on:

    await publish(app, draft(1, "드론택배 확대", section="경제", is_breaking=True))
    reader = await add_chat(app, "reader", keyword("드론"))

Builders that write take the app, use the app's clock and commit, so the arrangement is done
when they return. ``chat_in`` works inside the caller's session instead, for tests that go on
to change the chat in the same transaction (quiet hours, previews, a language).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TypedDict, Unpack

from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.app import App
from newsbot.delivery.matcher import match_pending
from newsbot.delivery.subscriptions import ChatRef, get_or_create_chat, subscribe
from newsbot.store.articles import store_drafts
from newsbot.store.delivery_models import Chat, ChatKind, SubscriptionKind
from newsbot.store.drafts import ArticleDraft
from newsbot.store.feeds import add_feed as store_feed
from newsbot.store.models import DateSource
from newsbot.text.analyzer import Analyzer, default_analyzer
from tests.conftest import START

SITE = "https://news.example.kr"
PUBLISHED = START - timedelta(hours=1)  # fresh news when the tests' clock starts
FEED_INTERVAL = 600  # seconds between polls of a healthy feed

# --- article drafts ------------------------------------------------------------------------


class DraftFields(TypedDict, total=False):
    """Any field of an ArticleDraft but the title, which ``draft`` takes by position."""

    source: str
    url: str
    published_at: datetime
    guid: str | None
    lead: str
    body: str
    author: str | None
    section: str | None
    image_url: str | None
    updated_at: datetime | None
    date_source: DateSource
    is_breaking: bool


def draft(
    key: int | str = 1, title: str | None = None, **fields: Unpack[DraftFields]
) -> ArticleDraft:
    """Article ``key`` as source "t" describes it, published an hour before the tests' clock.

    Its guid is g{key} for a number and the key itself for a string, its URL {SITE}/a/{key},
    its title 기사 {key} unless given; keywords set any other field.
    """
    built = ArticleDraft(
        source="t",
        guid=f"g{key}" if isinstance(key, int) else key,
        url=f"{SITE}/a/{key}",
        title=f"기사 {key}" if title is None else title,
        published_at=PUBLISHED,
    )
    return replace(built, **fields)


async def store_articles(app: App, *drafts: ArticleDraft, analyzer: Analyzer | None = None) -> None:
    """Store the drafts and commit, as an import would; the matcher has not seen them yet."""
    async with app.sessions() as session:
        await store_drafts(session, drafts, now=app.clock.now(), analyzer=analyzer)
        await session.commit()


async def publish(app: App, *drafts: ArticleDraft) -> None:
    """Store the drafts and match them, as `newsbot run` would: when this returns, every
    chat that takes them has its outbox rows."""
    await store_articles(app, *drafts)
    await match_all(app)


async def match_all(app: App) -> None:
    """Match every stored article the matcher has yet to see, and commit."""
    async with app.sessions() as session:
        while (await match_pending(session, default_analyzer(), now=app.clock.now())).events:
            pass  # a fan-out is matched a chunk a call
        await session.commit()


# --- chats and what they take --------------------------------------------------------------

Takes = tuple[SubscriptionKind, str]  # one subscription: all news, a section or a keyword
ALL_NEWS: Takes = (SubscriptionKind.ALL, "")


def section(name: str) -> Takes:
    return (SubscriptionKind.SECTION, name)


def keyword(words: str) -> Takes:
    return (SubscriptionKind.KEYWORD, words)


async def chat_in(
    session: AsyncSession,
    name: str,
    *takes: Takes,
    platform: str = "test",
    kind: ChatKind = ChatKind.PRIVATE,
    now: datetime,
) -> Chat:
    """Chat ``name`` on ``platform`` (a private chat in Seoul, in Korean), taking ``takes``;
    the caller commits."""
    found = await get_or_create_chat(session, ChatRef(platform, name), kind=kind, now=now)
    for subscription_kind, value in takes:
        await subscribe(session, found, subscription_kind, value, now=now)
    return found


async def add_chat(
    app: App,
    name: str,
    *takes: Takes,
    platform: str = "test",
    kind: ChatKind = ChatKind.PRIVATE,
) -> int:
    """Chat ``name`` taking ``takes``, committed; returns its id."""
    async with app.sessions() as session:
        added = await chat_in(
            session, name, *takes, platform=platform, kind=kind, now=app.clock.now()
        )
        await session.commit()
        return added.id


# --- feeds ---------------------------------------------------------------------------------


async def add_feed(
    app: App, url: str, *, interval: int = FEED_INTERVAL, section: str | None = None
) -> int:
    """A feed the poller checks every ``interval`` seconds, due at once; returns its id."""
    async with app.sessions() as session:
        feed = await store_feed(
            session, url, section=section, interval=interval, now=app.clock.now()
        )
        await session.commit()
        return feed.id
