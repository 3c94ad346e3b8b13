"""Polling due feeds: fetch, parse, store, and remember how each feed is doing.

Each feed is handled on its own with its own session: a feed that times out, returns garbage
or breaks the parser is recorded as failing (with the reason and a backoff) and the others go on.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from newsbot.clock import Clock
from newsbot.config import Settings
from newsbot.errors import InputError
from newsbot.ingest.drafts import Batch, Problem
from newsbot.ingest.feeds import KST, parse_feed
from newsbot.ingest.fetch import Fetched, FetchError, fetch_feed
from newsbot.store import feeds as feed_store
from newsbot.store.articles import Outcome, store_drafts
from newsbot.store.models import Feed

log = logging.getLogger(__name__)


@dataclass(slots=True)
class FeedResult:
    feed_id: int
    url: str
    status: str  # "ok", "not modified", "failed"
    counts: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    retry_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PollSettings:
    max_bytes: int
    max_backoff: int
    concurrency: int
    zone: ZoneInfo = KST
    deadline: float = 60.0  # seconds for a whole fetch, however the server drips

    @classmethod
    def of(cls, settings: Settings) -> PollSettings:
        return cls(
            max_bytes=settings.feed_max_bytes,
            max_backoff=settings.feed_max_backoff,
            concurrency=settings.feed_concurrency,
            zone=settings.zone,
            deadline=settings.feed_fetch_deadline,
        )


async def poll_due_feeds(
    sessions: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    clock: Clock,
    settings: PollSettings,
) -> list[FeedResult]:
    async with sessions() as session:
        due = [(feed.id, feed.url) for feed in await feed_store.due_feeds(session, clock.now())]
    gate = asyncio.Semaphore(settings.concurrency)

    async def one(feed_id: int) -> FeedResult:
        async with gate:
            return await poll_feed(sessions, client, clock, settings, feed_id)

    return list(await asyncio.gather(*(one(feed_id) for feed_id, _ in due)))


async def poll_feed(
    sessions: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    clock: Clock,
    settings: PollSettings,
    feed_id: int,
) -> FeedResult:
    """Fetch and store one feed. No database transaction is held while the network is used:
    a slow publisher must never hold a connection, or on SQLite the write lock."""
    async with sessions() as session:
        feed = await session.get(Feed, feed_id)
        if feed is None:
            raise InputError(f"no feed with id {feed_id}")
        url, etag, last_modified, section = feed.url, feed.etag, feed.last_modified, feed.section
    result = FeedResult(feed_id=feed_id, url=url, status="ok")
    try:
        fetched = await fetch_feed(
            client,
            url,
            max_bytes=settings.max_bytes,
            etag=etag,
            last_modified=last_modified,
            deadline=settings.deadline,
        )
        batch = None
        if fetched.status != 304:
            batch = parse_feed(
                fetched.body,
                feed_url=fetched.final_url,
                content_type=fetched.content_type,
                section=section,
                fetched_at=clock.now(),
                zone=settings.zone,
            )
        await _store_result(sessions, clock, feed_id, fetched, batch, result)
    except (FetchError, InputError) as exc:
        status = exc.status if isinstance(exc, FetchError) else None
        await _record_failure(sessions, clock, settings, feed_id, result, str(exc), status)
    except Exception as exc:  # a bug or a database hiccup: this feed fails, the rest go on
        log.exception("polling feed %s failed", feed_id)
        await _record_failure(
            sessions, clock, settings, feed_id, result, f"internal error: {exc!r}", None
        )
    for problem in result.problems:
        log.warning("feed %s: %s", result.url, problem)
    return result


async def _store_result(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    feed_id: int,
    fetched: Fetched,
    batch: Batch | None,
    result: FeedResult,
) -> None:
    async with sessions() as session:
        feed = await session.get(Feed, feed_id)
        if feed is None:
            raise InputError(f"feed {feed_id} was removed while it was being polled")
        if batch is None:
            result.status = "not modified"
            feed_store.record_success(
                feed, now=clock.now(), status=304, etag=None, last_modified=None, title=None
            )
        else:
            for stored in await store_drafts(session, batch.drafts, now=clock.now()):
                result.counts[stored.outcome] += 1
            result.problems = batch.problems
            result.notes = batch.notes
            feed_store.record_success(
                feed,
                now=clock.now(),
                status=fetched.status,
                etag=fetched.etag,
                last_modified=fetched.last_modified,
                title=None,
            )
        if fetched.permanent_url and fetched.permanent_url != feed.url:
            await _follow_move(session, feed, fetched.permanent_url, result)
        await session.commit()


async def _follow_move(session: AsyncSession, feed: Feed, new_url: str, result: FeedResult) -> None:
    twin = await session.scalar(select(Feed.id).where(Feed.url == new_url, Feed.id != feed.id))
    if twin is not None:
        result.notes.append(
            f"feed moved permanently to {new_url}, which is already feed {twin}: "
            "consider removing this one"
        )
        return
    result.notes.append(f"feed moved permanently to {new_url}")
    feed.url = new_url


async def _record_failure(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    settings: PollSettings,
    feed_id: int,
    result: FeedResult,
    reason: str,
    status: int | None,
) -> None:
    result.status = "failed"
    result.error = reason
    async with sessions() as session:
        feed = await session.get(Feed, feed_id)
        if feed is None:
            return
        wait = feed_store.record_failure(
            feed, now=clock.now(), reason=reason, status=status, max_backoff=settings.max_backoff
        )
        result.retry_at = clock.now() + wait
        await session.commit()
    log.warning("feed %s failed (%s); next try in %s", result.url, reason, wait)
