"""Two real `newsbot run` processes on one PostgreSQL store: one leads, the other takes over.

Polling and matching run in one process at a time, the holder of an advisory lock; every
process dispatches. When the leader is killed with SIGKILL (no goodbye: its database session
just ends) the other process takes over within seconds, and between them the two deliver each
article once. Which process leads is read from the log line it writes on taking the lock;
which process fetched a feed, from the User-Agent each one is given.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from newsbot.app import App, open_app
from newsbot.leadership import LEADER_RETRY_SECONDS
from newsbot.text.analyzer import Analyzer, NoMorphemes
from tests.builders import ALL_NEWS, add_chat, add_feed, draft, store_articles
from tests.conftest import make_settings
from tests.fakes.feed_server import FeedServer
from tests.fakes.telegram_api import TOKEN, FakeTelegram
from tests.processes import NEWSBOT

LEADS = "this process leads: polling and matching"
READY = "started: delivering"  # logged just before the loops start
READS_UPDATES = "telegram: reading updates by polling"
TAKEOVER_BOUND = 15.0  # seconds; measured well under one on loopback
CHAT = "5001"
PLAIN = Analyzer(NoMorphemes())  # the test indexes on bigrams: loading Kiwi takes seconds
FEED_INTERVAL = 2  # seconds between polls of the test feed
FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>t</title><link>https://news.example.kr/</link>
</channel></rss>"""

# Several processes sharing one store need PostgreSQL.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize(
        "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
    ),
]


@dataclass
class Bot:
    """A `newsbot run` process whose log is read as it is written."""

    name: str
    process: asyncio.subprocess.Process
    log: list[str] = field(default_factory=list)
    leading_since: float | None = None  # event-loop time of its "leads" line
    killed: bool = False
    _reader: asyncio.Task[None] | None = None

    @classmethod
    async def start(cls, name: str, env: dict[str, str], cwd: Path) -> Bot:
        process = await asyncio.create_subprocess_exec(
            NEWSBOT,
            "run",
            env=env,
            cwd=cwd,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        bot = cls(name, process)
        bot._reader = asyncio.create_task(bot._read_log())
        return bot

    @property
    def ready(self) -> bool:
        return any(READY in line for line in self.log)

    async def _read_log(self) -> None:
        assert self.process.stderr is not None
        async for raw in self.process.stderr:
            line = raw.decode(errors="replace")
            self.log.append(line)
            if LEADS in line and self.leading_since is None:
                self.leading_since = asyncio.get_running_loop().time()

    async def kill(self) -> float:
        """SIGKILL, as a crash or the OOM killer would; returns the event-loop time sent."""
        self.killed = True
        self.process.send_signal(signal.SIGKILL)
        sent = asyncio.get_running_loop().time()
        await self.stop()
        return sent

    async def stop(self) -> int:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), timeout=30)
        if self._reader is not None:
            await asyncio.wait_for(self._reader, timeout=5)
        return code


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[App]:
    """The shared store as the test sees it, on the real clock the processes use."""
    async with open_app(make_settings(database_url)) as app:
        yield app


@pytest.fixture
async def bots(
    database_url: str, fake_telegram: FakeTelegram, tmp_path: Path
) -> AsyncIterator[list[Bot]]:
    """Two `newsbot run` processes, a and b, both up; never left running."""
    started: list[Bot] = []
    try:
        for name in ("a", "b"):
            env = environment(database_url, fake_telegram, name)
            started.append(await Bot.start(name, env, tmp_path))
        await wait_for(lambda: all(b.ready for b in started), 60, started)
        yield started
    finally:
        for bot in started:
            if bot.process.returncode is None:
                bot.process.kill()
            await bot.stop()


def environment(database_url: str, fake: FakeTelegram, name: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env.update(
        {
            "NEWSBOT_DATABASE_URL": database_url,
            "NEWSBOT_TELEGRAM_TOKEN": TOKEN,
            "NEWSBOT_TELEGRAM_API_URL": fake.api_url,
            "NEWSBOT_HTTP_USER_AGENT": f"newsbot-{name}",
            "NEWSBOT_LOG_LEVEL": "INFO",
        }
    )
    return env


async def wait_for(condition: Callable[[], object], seconds: float, bots: list[Bot]) -> float:
    """Until ``condition()`` holds; returns the event-loop time it did."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        for bot in bots:
            assert bot.killed or bot.process.returncode is None, "".join(bot.log)
        assert loop.time() < deadline, "timed out; logs:\n" + "\n".join(
            f"{b.name}: {''.join(b.log[-10:])}" for b in bots
        )
        await asyncio.sleep(0.02)
    return loop.time()


async def the_leader(bots: list[Bot]) -> tuple[Bot, Bot]:
    """(leader, follower), after watching long enough for the follower to try a few times."""
    await wait_for(lambda: any(b.leading_since is not None for b in bots), 10, bots)
    await asyncio.sleep(LEADER_RETRY_SECONDS)  # the follower asks several times meanwhile
    leaders = [b for b in bots if b.leading_since is not None]
    assert len(leaders) == 1, [b.name for b in leaders]
    leader = leaders[0]
    return leader, next(b for b in bots if b is not leader)


async def publish(app: App, slug: str, title: str) -> None:
    """Breaking news, stored for the processes' matchers to find (indexed on bigrams only)."""
    now = app.clock.now()
    story = draft(slug, title, published_at=now - timedelta(minutes=1), is_breaking=True)
    await store_articles(app, story, analyzer=PLAIN)


def times_sent(fake: FakeTelegram, title: str) -> int:
    return sum(title in r.get("text", "") for r in fake.delivered(CHAT))


async def test_when_the_leader_is_killed_the_other_process_takes_over_and_nothing_doubles(
    store: App, bots: list[Bot], fake_telegram: FakeTelegram
) -> None:
    await add_chat(store, CHAT, ALL_NEWS, platform="telegram")
    leader, follower = await the_leader(bots)

    await publish(store, "first", "첫 번째 속보")
    await wait_for(lambda: times_sent(fake_telegram, "첫 번째 속보") >= 1, 10, bots)
    # Readers' updates too: Telegram allows one long poll per bot.
    assert any(READS_UPDATES in line for line in leader.log)
    assert not any(READS_UPDATES in line for line in follower.log)

    killed_at = await leader.kill()
    await publish(store, "second", "두 번째 속보")
    delivered_at = await wait_for(
        lambda: times_sent(fake_telegram, "두 번째 속보") >= 1, TAKEOVER_BOUND, bots
    )
    await asyncio.sleep(1.0)  # a second copy from either process would arrive by now
    code = await follower.stop()

    assert follower.leading_since is not None
    takeover = follower.leading_since - killed_at
    print(
        f"\nleader {leader.name} killed: {follower.name} led after {takeover:.2f} s, "
        f"delivered the next article after {delivered_at - killed_at:.2f} s"
    )
    assert 0 < takeover < TAKEOVER_BOUND
    assert times_sent(fake_telegram, "첫 번째 속보") == 1
    assert times_sent(fake_telegram, "두 번째 속보") == 1
    assert len(fake_telegram.delivered()) == 2
    assert code == 0, "".join(follower.log)
    assert not any("Traceback" in line for line in follower.log)
    assert any(READS_UPDATES in line for line in follower.log)  # the survivor took them over


async def test_a_feed_is_polled_by_the_leader_alone_and_by_the_survivor_after_it(
    store: App, bots: list[Bot], feed_server: FeedServer
) -> None:
    feed_server.add("/rss.xml", FEED)
    await add_feed(store, feed_server.url("/rss.xml"), interval=FEED_INTERVAL)
    leader, follower = await the_leader(bots)

    def fetchers() -> list[str]:
        return [r.headers["User-Agent"] for r in feed_server.requests_to("/rss.xml")]

    await wait_for(lambda: len(fetchers()) >= 3, 5 * FEED_INTERVAL, bots)

    killed_at = await leader.kill()
    assert leader.leading_since is not None
    watched = killed_at - leader.leading_since
    before_kill = fetchers()
    polled_at = await wait_for(
        lambda: f"newsbot-{follower.name}" in fetchers(), TAKEOVER_BOUND, bots
    )
    after_kill = fetchers()[len(before_kill) :]
    assert await follower.stop() == 0

    assert follower.leading_since is not None
    print(
        f"\nfeed every {FEED_INTERVAL} s: {len(before_kill)} polls by the leader alone; "
        f"{follower.name} led {follower.leading_since - killed_at:.2f} s after the kill "
        f"and polled once the feed was due, after {polled_at - killed_at:.2f} s"
    )
    assert set(before_kill) == {f"newsbot-{leader.name}"}
    assert set(after_kill) == {f"newsbot-{follower.name}"}
    # One poller keeps the feed's interval: no second process fetching in between.
    assert len(before_kill) <= watched / FEED_INTERVAL + 2
