"""The feeds table: which feeds to poll, when, and how the last attempts went."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.errors import InputError
from newsbot.store.models import Feed, FeedState


async def add_feed(
    session: AsyncSession, url: str, *, section: str | None, interval: int, now: datetime
) -> Feed:
    existing = await session.scalar(select(Feed).where(Feed.url == url))
    if existing is not None:
        raise InputError(f"feed already added as id {existing.id}: {url}")
    feed = Feed(
        url=url,
        section=section,
        interval_seconds=interval,
        created_at=now,
        next_check_at=now,
        state=FeedState.ACTIVE,
        error_count=0,
    )
    session.add(feed)
    await session.flush()
    return feed


async def list_feeds(session: AsyncSession) -> list[Feed]:
    return list(await session.scalars(select(Feed).order_by(Feed.id)))


async def remove_feed(session: AsyncSession, feed_id: int) -> Feed:
    feed = await session.get(Feed, feed_id)
    if feed is None:
        raise InputError(f"no feed with id {feed_id}")
    await session.delete(feed)
    return feed


async def due_feeds(session: AsyncSession, now: datetime) -> list[Feed]:
    query = (
        select(Feed)
        .where(Feed.state != FeedState.PAUSED)
        .where(or_(Feed.next_check_at.is_(None), Feed.next_check_at <= now))
        .order_by(Feed.next_check_at, Feed.id)
    )
    return list(await session.scalars(query))


def record_success(
    feed: Feed,
    *,
    now: datetime,
    status: int,
    etag: str | None,
    last_modified: str | None,
    title: str | None,
) -> None:
    feed.state = FeedState.ACTIVE
    feed.error_count = 0
    feed.failing_since = None
    feed.last_error = None
    feed.last_status = status
    feed.last_checked_at = now
    feed.next_check_at = now + timedelta(seconds=feed.interval_seconds)
    if status != 304:
        feed.etag = etag
        feed.last_modified = last_modified
    if title:
        feed.title = title


def record_failure(
    feed: Feed, *, now: datetime, reason: str, status: int | None, max_backoff: int
) -> timedelta:
    """Note the failure and push the next attempt out exponentially; returns the wait."""
    feed.error_count += 1
    if feed.failing_since is None:
        feed.failing_since = now
    feed.state = FeedState.FAILING
    feed.last_error = reason[:1000]
    feed.last_status = status
    feed.last_checked_at = now
    wait = timedelta(
        seconds=min(feed.interval_seconds * 2 ** min(feed.error_count, 20), max_backoff)
    )
    feed.next_check_at = now + wait
    return wait
