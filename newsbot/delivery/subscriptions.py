"""Chats and what they subscribed to.

A chat takes all news, sections, and/or keywords. Keywords are read by the same analyzer as
search, so 드론 matches 드론전문의용소방대 and 성남시 matches 성남시는; readers never give
regular expressions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.errors import InputError
from newsbot.store.delivery_models import Chat, ChatKind, Subscription, SubscriptionKind
from newsbot.text.analyzer import bigrams, fold

MAX_KEYWORD_CHARS = 50
MAX_SUBSCRIPTIONS_PER_CHAT = 50


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


def normalise_keyword(text: str) -> str:
    keyword = " ".join(fold(text).split())[:MAX_KEYWORD_CHARS]
    if not bigrams(keyword):
        raise InputError("a keyword needs letters or digits")
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
            raise InputError("a section subscription needs a section name")
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
        raise InputError(f"a chat can have at most {MAX_SUBSCRIPTIONS_PER_CHAT} subscriptions")
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


async def subscriptions_of(session: AsyncSession, chat: Chat) -> list[Subscription]:
    query = select(Subscription).where(Subscription.chat_id == chat.id).order_by(Subscription.id)
    return list(await session.scalars(query))
