"""Chats and what they subscribed to.

A chat takes all news, sections, and/or keywords. Keywords are read by the same analyzer as
search, so 드론 matches 드론전문의용소방대 and 성남시 matches 성남시는; readers never give
regular expressions.

A reader who subscribes through the bot (``subscribe_with_recent``) is not left looking at
an empty chat: the latest few headlines the new subscription takes are queued for them as
ordinary outbox rows, chosen by the matcher's own rules, and never ones the chat already has
or is about to get.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.delivery.matcher import KeywordIndex, delivery_row, insert_deliveries, matching_chats
from newsbot.errors import ReaderError
from newsbot.store.delivery_models import (
    ArticleEvent,
    Chat,
    ChatKind,
    Delivery,
    DeliveryKind,
    Subscription,
    SubscriptionKind,
)
from newsbot.store.models import Article
from newsbot.text.analyzer import Analyzer, bigrams, fold

MAX_KEYWORD_CHARS = 50
MAX_SUBSCRIPTIONS_PER_CHAT = 50
RECENT_COUNT = 3  # headlines queued for a new subscription: a taste, not a backlog
RECENT_WINDOW = timedelta(days=7)  # older news is not worth pushing, however few there are
RECENT_SCAN = 1000  # articles a keyword subscription looks through for its recent matches


@dataclass(frozen=True, slots=True)
class ChatRef:
    platform: str
    platform_chat_id: str


async def get_or_create_chat(
    session: AsyncSession,
    ref: ChatRef,
    *,
    kind: ChatKind,
    now: datetime,
    title: str | None = None,
    language: str = "ko",
) -> Chat:
    chat = await session.scalar(
        select(Chat).where(
            Chat.platform == ref.platform, Chat.platform_chat_id == ref.platform_chat_id
        )
    )
    if chat is None:
        chat = Chat(
            platform=ref.platform,
            platform_chat_id=ref.platform_chat_id,
            kind=kind,
            title=title,
            language=language,
            timezone="Asia/Seoul",
            active=True,
            created_at=now,
            updated_at=now,
        )
        session.add(chat)
        await session.flush()
    elif not chat.active:
        chat.active, chat.inactive_reason, chat.updated_at = True, None, now
    return chat


async def find_chat(session: AsyncSession, ref: ChatRef) -> Chat | None:
    return await session.scalar(
        select(Chat).where(
            Chat.platform == ref.platform, Chat.platform_chat_id == ref.platform_chat_id
        )
    )


async def chat_language(session: AsyncSession, ref: ChatRef) -> str | None:
    """The language the chat chose, or None when the bot has no record of it."""
    return await session.scalar(
        select(Chat.language).where(
            Chat.platform == ref.platform, Chat.platform_chat_id == ref.platform_chat_id
        )
    )


async def deactivate_chat(
    session: AsyncSession, ref: ChatRef, reason: str, *, now: datetime
) -> bool:
    """Stop sending to a chat the bot was removed from (a later /start revives it)."""
    chat = await find_chat(session, ref)
    if chat is None or not chat.active:
        return False
    chat.active, chat.inactive_reason, chat.updated_at = False, reason, now
    return True


def normalise_keyword(text: str) -> str:
    keyword = " ".join(fold(text).split())[:MAX_KEYWORD_CHARS]
    if not bigrams(keyword):
        raise ReaderError("subscribe.keyword_needs_letters")
    return keyword


async def subscribe(
    session: AsyncSession,
    chat: Chat,
    kind: SubscriptionKind,
    value: str = "",
    *,
    now: datetime,
) -> tuple[Subscription, bool]:
    """Add a subscription; returns it and whether it is new (subscribing twice is fine)."""
    if kind is SubscriptionKind.KEYWORD:
        value = normalise_keyword(value)
    elif kind is SubscriptionKind.SECTION:
        value = " ".join(value.split())
        if not value:
            raise ReaderError("subscribe.section_needs_name")
    else:
        value = ""
    existing = await session.scalar(
        select(Subscription).where(
            Subscription.chat_id == chat.id, Subscription.kind == kind, Subscription.value == value
        )
    )
    if existing is not None:
        return existing, False
    count = len(await subscriptions_of(session, chat))
    if count >= MAX_SUBSCRIPTIONS_PER_CHAT:
        raise ReaderError("subscribe.too_many", limit=MAX_SUBSCRIPTIONS_PER_CHAT)
    subscription = Subscription(chat_id=chat.id, kind=kind, value=value, created_at=now)
    session.add(subscription)
    await session.flush()
    return subscription, True


async def unsubscribe(
    session: AsyncSession, chat: Chat, kind: SubscriptionKind | None = None, value: str = ""
) -> int:
    """Remove one subscription, or all of them when no kind is given; returns how many."""
    statement = delete(Subscription).where(Subscription.chat_id == chat.id)
    if kind is not None:
        if kind is SubscriptionKind.KEYWORD:
            value = normalise_keyword(value)
        statement = statement.where(Subscription.kind == kind, Subscription.value == value)
    result = await session.execute(statement)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def unsubscribe_one(session: AsyncSession, chat: Chat, subscription_id: int) -> int:
    """Remove one subscription by id, if it is this chat's; returns how many (0 or 1)."""
    result = await session.execute(
        delete(Subscription).where(
            Subscription.id == subscription_id, Subscription.chat_id == chat.id
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def subscriptions_of(session: AsyncSession, chat: Chat) -> list[Subscription]:
    query = select(Subscription).where(Subscription.chat_id == chat.id).order_by(Subscription.id)
    return list(await session.scalars(query))


@dataclass(frozen=True, slots=True)
class SubscribeResult:
    subscription: Subscription
    created: bool  # False when the chat already had it (then nothing is queued)
    queued: int  # recent headlines queued for the chat


async def subscribe_with_recent(
    session: AsyncSession,
    chat: Chat,
    kind: SubscriptionKind,
    value: str = "",
    *,
    now: datetime,
    analyzer: Analyzer,
    count: int = RECENT_COUNT,
) -> SubscribeResult:
    """Subscribe as a reader does, then queue the latest ``count`` headlines it takes.

    The caller commits: the subscription and its rows land together or not at all.
    """
    subscription, created = await subscribe(session, chat, kind, value, now=now)
    queued = 0
    if created:
        queued = await queue_recent(session, subscription, now=now, analyzer=analyzer, count=count)
    return SubscribeResult(subscription, created, queued)


async def queue_recent(
    session: AsyncSession,
    subscription: Subscription,
    *,
    now: datetime,
    analyzer: Analyzer,
    count: int = RECENT_COUNT,
) -> int:
    """Queue the latest ``count`` articles this subscription takes, as headlines due now.

    Of those, ones the chat already has a headline or breaking row for are skipped (sent,
    queued or held), and so are ones the matcher has yet to reach this chat for: it will
    deliver them itself, and as breaking news where they are. Quiet hours do not hold these
    rows: the reader has just asked for them. Returns how many rows were written, oldest
    first so they read in order.
    """
    latest = await latest_matching(session, subscription, now=now, analyzer=analyzer, count=count)
    if not latest:
        return 0
    ids = [article.id for article in latest]
    skip = set(
        await session.scalars(
            select(Delivery.article_id).where(
                Delivery.chat_id == subscription.chat_id,
                Delivery.article_id.in_(ids),
                Delivery.kind.in_([DeliveryKind.HEADLINE, DeliveryKind.BREAKING]),
            )
        )
    )
    # The matcher will reach this chat itself, unless it is part-way through a fan-out and
    # past this chat already (or past its first chunk, where keyword matches are written).
    not_reached: ColumnElement[bool] = ArticleEvent.matched_through.is_(None)
    if subscription.kind is not SubscriptionKind.KEYWORD:
        not_reached = or_(not_reached, ArticleEvent.matched_through < subscription.chat_id)
    skip |= set(
        await session.scalars(
            select(ArticleEvent.article_id).where(
                ArticleEvent.article_id.in_(ids), ArticleEvent.matched.is_(False), not_reached
            )
        )
    )
    rows = [
        delivery_row(article.id, subscription.chat_id, DeliveryKind.HEADLINE, now=now)
        for article in reversed(latest)
        if article.id not in skip
    ]
    return await insert_deliveries(session, rows)


async def latest_matching(
    session: AsyncSession,
    subscription: Subscription,
    *,
    now: datetime,
    analyzer: Analyzer,
    count: int = RECENT_COUNT,
) -> list[Article]:
    """The newest articles of the last ``RECENT_WINDOW`` that the matcher would send to this
    subscription, newest first: the matcher's own test decides, the query only narrows."""
    keywords = KeywordIndex(
        analyzer, [subscription] if subscription.kind is SubscriptionKind.KEYWORD else []
    )
    plain = [] if subscription.kind is SubscriptionKind.KEYWORD else [subscription]
    query = (
        select(Article)
        .where(Article.published_at >= now - RECENT_WINDOW, Article.published_at <= now)
        .order_by(Article.published_at.desc(), Article.id.desc())
    )
    if subscription.kind is SubscriptionKind.SECTION:
        query = query.where(Article.section == subscription.value)
    found: list[Article] = []
    page = 100
    for offset in range(0, RECENT_SCAN, page):
        articles = list(await session.scalars(query.offset(offset).limit(page)))
        for article in articles:
            if subscription.chat_id in matching_chats(article, plain, keywords):
                found.append(article)
                if len(found) == count:
                    return found
        if len(articles) < page:
            break
    return found
