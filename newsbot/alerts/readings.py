"""The store's side of the checks: a few aggregate queries, one per check, each reading
only what its check needs (counts, not rows, for the deliveries)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.alerts.checks import FailingFeed, LateDigests, SendCounts
from newsbot.store.delivery_models import Chat, Delivery, DeliveryState
from newsbot.store.models import Feed, FeedState


async def failing_feeds(session: AsyncSession) -> list[FailingFeed]:
    """Every feed failing now, with the first failure since its last success."""
    rows = await session.execute(
        select(Feed.id, Feed.title, Feed.url, Feed.failing_since, Feed.last_error)
        .where(Feed.state == FeedState.FAILING, Feed.failing_since.is_not(None))
        .order_by(Feed.id)
    )
    return [
        FailingFeed(feed_id, title or url, since, error or "")
        for feed_id, title, url, since, error in rows
        if since is not None
    ]


async def send_counts(session: AsyncSession, since: datetime) -> dict[str, SendCounts]:
    """Each platform's sends settled since ``since``: sent ones by when they were sent,
    failed ones by when their last attempt was due (a failure keeps that time)."""
    sent = Delivery.state == DeliveryState.SENT
    failed = Delivery.state == DeliveryState.FAILED
    rows = await session.execute(
        select(Chat.platform, Delivery.state, func.count())
        .join(Chat, Chat.id == Delivery.chat_id)
        .where(
            or_(
                and_(sent, Delivery.sent_at >= since),
                and_(failed, Delivery.due_at >= since),
            )
        )
        .group_by(Chat.platform, Delivery.state)
    )
    counts: dict[str, dict[DeliveryState, int]] = {}
    for platform, state, count in rows:
        counts.setdefault(platform, {})[state] = count
    return {
        platform: SendCounts(seen.get(DeliveryState.SENT, 0), seen.get(DeliveryState.FAILED, 0))
        for platform, seen in counts.items()
    }


async def chats_gone(session: AsyncSession, since: datetime) -> int:
    """Chats deactivated since ``since`` (``outbox.deactivate_chat`` stamps updated_at)."""
    count = await session.scalar(
        select(func.count())
        .select_from(Chat)
        .where(Chat.active.is_(False), Chat.updated_at >= since)
    )
    return int(count or 0)


async def late_digests(session: AsyncSession, before: datetime) -> LateDigests:
    """Active chats whose next digest moment is earlier than ``before``."""
    count, oldest = (
        await session.execute(
            select(func.count(), func.min(Chat.digest_next_at)).where(
                Chat.active.is_(True),
                Chat.digest_time.is_not(None),
                Chat.digest_next_at < before,
            )
        )
    ).one()
    return LateDigests(int(count or 0), oldest)
