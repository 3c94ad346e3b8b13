"""The matcher wakes when articles arrive instead of waiting out its idle time.

Each service here idles its match loop for a minute, far beyond the tests' patience, so an
article is matched in time only if something woke the matcher. That is PostgreSQL's NOTIFY
for any writer, or this process's own poller on either store. The first wake-up after the
listener connects is a catch-up pass, so each test sends a second article after the first
has arrived, and only a real wake-up can deliver that one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from newsbot.app import App, open_app
from newsbot.clock import FixedClock
from newsbot.delivery.dispatcher import DispatchSettings
from newsbot.delivery.pacing import Limits
from newsbot.delivery.wakeup import APPLICATION_NAME, CHANNEL
from newsbot.ingest.poller import PollSettings
from newsbot.service import Service
from newsbot.store.articles import store_drafts
from newsbot.store.drafts import ArticleDraft
from tests.builders import ALL_NEWS, add_chat, add_feed, draft
from tests.conftest import make_settings
from tests.fakes.feed_server import FeedServer
from tests.fakes.platform import RecordingPlatform

IDLE = 60.0  # the match loop's timed pass: never reached within a test
PATIENCE = 10.0  # seconds a test waits for a wake-up, which takes milliseconds


@dataclass
class Running:
    service: Service
    platform: RecordingPlatform
    task: asyncio.Task[None]


def wake_up(n: int) -> ArticleDraft:
    """Article n, whose arrival in the chat shows the matcher was woken."""
    return draft(f"w-{n}", f"깨우는 기사 {n}", source="elsewhere")


async def store_elsewhere(database_url: str, clock: FixedClock, *drafts: ArticleDraft) -> None:
    """Commit articles the way another process would: its own engine and connections."""
    async with (
        open_app(make_settings(database_url), clock=clock) as other,
        other.sessions() as session,
    ):
        await store_drafts(session, drafts, now=clock.now())
        await session.commit()


async def eventually(condition: Callable[[], object], seconds: float = PATIENCE) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        assert loop.time() < deadline, f"not within {seconds} s"
        await asyncio.sleep(0.02)


async def listener_pids(app: App) -> list[int]:
    async with app.engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = :name"
            ),
            {"name": APPLICATION_NAME},
        )
        return [pid for (pid,) in rows]


async def until_listening(app: App, *, not_pid: int | None = None) -> int:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE
    while True:
        pids = await listener_pids(app)
        if len(pids) == 1 and pids[0] != not_pid:
            return pids[0]
        assert loop.time() < deadline, f"no listener connection (saw {pids})"
        await asyncio.sleep(0.05)


def delivered(platform: RecordingPlatform, n: int) -> Callable[[], bool]:
    return lambda: any(message.title == f"깨우는 기사 {n}" for _, message in platform.sent)


@pytest.fixture
async def running(app: App) -> AsyncIterator[Running]:
    await add_chat(app, "1001", ALL_NEWS)
    platform = RecordingPlatform(limits=Limits(per_chat_per_second=1000.0))
    service = Service(
        app=app,
        platforms={"test": platform},
        dispatch_settings=DispatchSettings(owner="test:wakeup", concurrency=4),
        poll_settings=PollSettings(max_bytes=1_000_000, max_backoff=60, concurrency=1),
        match_idle=IDLE,
    )
    task = asyncio.create_task(service.run(lead=True))
    try:
        yield Running(service, platform, task)
    finally:
        service.stop.set()
        await asyncio.wait_for(task, timeout=5)  # stopping is prompt, listener or not


@pytest.fixture
def postgres(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")


async def test_an_article_committed_by_another_connection_wakes_the_matcher_at_once(
    postgres: None, app: App, running: Running, database_url: str, clock: FixedClock
) -> None:
    await until_listening(app)

    for n in (1, 2):
        await store_elsewhere(database_url, clock, wake_up(n))
        await eventually(delivered(running.platform, n))

    assert not running.task.done()


async def test_stopping_the_service_closes_the_listener_connection(
    postgres: None, app: App, running: Running
) -> None:
    await until_listening(app)

    running.service.stop.set()
    await asyncio.wait_for(running.task, timeout=5)

    assert await listener_pids(app) == []


async def test_a_broken_listener_connection_is_reestablished_and_wakes_the_matcher_again(
    postgres: None,
    app: App,
    running: Running,
    database_url: str,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    first = await until_listening(app)

    async with app.engine.connect() as connection:
        await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    second = await until_listening(app, not_pid=first)
    for n in (1, 2):
        await store_elsewhere(database_url, clock, wake_up(n))
        await eventually(delivered(running.platform, n))

    assert second != first
    assert not running.task.done()
    lost = [r for r in caplog.records if "stopped listening" in r.getMessage()]
    assert len(lost) == 1
    assert lost[0].levelno == logging.WARNING


async def test_the_trigger_notifies_once_per_committed_import_and_never_on_rollback(
    postgres: None, app: App, database_url: str, clock: FixedClock
) -> None:
    conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as listening:
        await listening.execute(f"LISTEN {CHANNEL}")

        async with app.sessions() as session:
            await store_drafts(session, [wake_up(n) for n in range(100)], now=clock.now())
            await session.rollback()
        rolled_back = [n async for n in listening.notifies(timeout=0.5)]
        await store_elsewhere(database_url, clock, *(wake_up(n) for n in range(100)))
        committed = [n async for n in listening.notifies(timeout=1.0)]

    assert rolled_back == []
    assert [n.channel for n in committed] == [CHANNEL]


def rss(clock: FixedClock, *numbers: int) -> bytes:
    published = (clock.now() - timedelta(minutes=1)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    items = "".join(
        f"<item><title>깨우는 기사 {n}</title><link>https://news.example.kr/feed/{n}</link>"
        f"<guid>feed-{n}</guid><pubDate>{published}</pubDate></item>"
        for n in numbers
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
        f"<link>https://news.example.kr/</link>{items}</channel></rss>"
    ).encode()


async def test_articles_the_poller_stores_wake_the_matcher_in_process(
    app: App, running: Running, feed_server: FeedServer, clock: FixedClock
) -> None:
    feed_server.add("/rss.xml", rss(clock, 1))
    await add_feed(app, feed_server.url("/rss.xml"), interval=300)
    await eventually(delivered(running.platform, 1))

    feed_server.add("/rss.xml", rss(clock, 1, 2))
    clock.advance(seconds=301)  # the feed is due again
    await eventually(delivered(running.platform, 2))
