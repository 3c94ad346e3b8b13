"""Many subscribed chats at once, for fan-out tests and benchmarks (no pytest needed here,
so bench/ can use it too): one Core INSERT each for chats and subscriptions, since creating
thousands of chats one by one through the handlers would dominate the run."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.store.delivery_models import Chat, ChatKind, Subscription, SubscriptionKind


async def add_chats_taking_all_news(
    session: AsyncSession, platform: str, chat_ids: Iterable[str], *, now: datetime
) -> None:
    """Private Korean chats in Seoul, each subscribed to all news; the caller commits."""
    await session.execute(
        insert(Chat),
        [
            {
                "platform": platform,
                "platform_chat_id": chat,
                "kind": ChatKind.PRIVATE,
                "language": "ko",
                "timezone": "Asia/Seoul",
                "active": True,
                "created_at": now,
                "updated_at": now,
            }
            for chat in chat_ids
        ],
    )
    added = await session.scalars(select(Chat.id).where(Chat.platform == platform))
    await session.execute(
        insert(Subscription),
        [
            {"chat_id": c, "kind": SubscriptionKind.ALL, "value": "", "created_at": now}
            for c in added
        ],
    )
