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
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from newsbot.clock import Clock
from newsbot.errors import InputError
from newsbot.ingest.drafts import Problem
from newsbot.ingest.feeds import KST, parse_feed
from newsbot.ingest.fetch import FetchError, fetch_feed
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
    async with sessions() as session:
        feed = await session.get(Feed, feed_id)
        if feed is None:
            raise InputError(f"no feed with id {feed_id}")
        result = FeedResult(feed_id=feed.id, url=feed.url, status="ok")
        try:
            fetched = await fetch_feed(
                client,
                feed.url,
                max_bytes=settings.max_bytes,
                etag=feed.etag,
                last_modified=feed.last_modified,
            )
            if fetched.status == 304:
                result.status = "not modified"
                feed_store.record_success(
                    feed, now=clock.now(), status=304, etag=None, last_modified=None, title=None
                )
            else:
                batch = parse_feed(
                    fetched.body,
                    feed_url=fetched.final_url,
                    content_type=fetched.content_type,
                    section=feed.section,
                    fetched_at=clock.now(),
                    zone=settings.zone,
                )
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
                if fetched.moved_permanently and fetched.final_url != feed.url:
                    result.notes.append(f"feed moved permanently to {fetched.final_url}")
                    feed.url = fetched.final_url
            await session.commit()
        except (FetchError, InputError) as exc:
            await session.rollback()
            await _record_failure(
                sessions,
                clock,
                settings,
                feed_id,
                result,
                str(exc),
                exc.status if isinstance(exc, FetchError) else None,
            )
        except Exception as exc:  # a bug or a database hiccup: this feed fails, the rest go on
            log.exception("polling feed %s failed", feed_id)
            await session.rollback()
            await _record_failure(
                sessions, clock, settings, feed_id, result, f"internal error: {exc!r}", None
            )
    for problem in result.problems:
        log.warning("feed %s: %s", result.url, problem)
    return result


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
