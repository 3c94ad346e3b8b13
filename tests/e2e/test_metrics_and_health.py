"""/metrics and /healthz, scraped over real HTTP from the bot ``build_bot`` makes.

The bot runs as `newsbot run` does, against the fake Bot API on loopback, with its HTTP
server on a free port. /metrics is read with prometheus_client's own parser, so what is
checked is what Prometheus would read. The store "going away" is real: on PostgreSQL the
test's database stops accepting connections and its sessions are cut, as in a restart,
while the shared server keeps running.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import json
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import aiohttp
import psycopg
import pytest
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from sqlalchemy.engine import make_url

from newsbot.app import App
from newsbot.bot import Bot, ConsoleChat, Overrides, build_bot
from newsbot.delivery.pacing import Limits
from newsbot.platforms.telegram import TelegramPlatform
from newsbot.store import migrate
from newsbot.store.delivery_models import Delivery, DeliveryState
from tests.builders import ALL_NEWS, add_feed, chat_in, draft, publish
from tests.conftest import _pg_conninfo, make_settings
from tests.fakes.feed_server import FeedServer
from tests.fakes.telegram_api import TOKEN, FakeTelegram

FAST = Limits(overall_per_second=1000, per_chat_per_second=50, per_group_per_minute=3000)
CHATS = ["9001", "9002", "9003", "9004", "9005"]
READER = 5151
FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>t</title><link>https://news.example.kr/</link>
<item><title>성남시 드론</title><link>https://news.example.kr/a/1</link>
<guid>a1</guid><pubDate>Mon, 23 Nov 2026 10:00:00 +0900</pubDate></item>
</channel></rss>""".encode()
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def the_bot(app: App, fake: FakeTelegram, *, readers: bool = True, **extra: Any) -> Bot:
    settings = make_settings(
        app.settings.database_url,
        **({"telegram_token": TOKEN, "http_listen": "127.0.0.1:0"} | extra),
    )
    telegram = TelegramPlatform(TOKEN, api_url=fake.api_url, limits=FAST)
    return build_bot(
        dataclasses.replace(app, settings=settings),
        readers=readers,
        console=ConsoleChat(out=io.StringIO()) if readers else None,
        overrides=Overrides(platforms={"telegram": telegram}, dispatch_owner="e2e:metrics"),
    )


@contextlib.asynccontextmanager
async def running(bot: Bot, *, lead: bool = True) -> AsyncIterator[str]:
    """The bot's service running; yields its HTTP server's base URL."""
    task = asyncio.create_task(bot.service.run(lead=lead))
    try:
        while bot.server is None or bot.server.port is None:
            assert not task.done(), task
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{bot.server.port}"
    finally:
        bot.service.stop.set()
        await asyncio.wait_for(task, timeout=15)


async def get(url: str) -> tuple[int, str, str]:
    """(status, content type header, body)."""
    async with aiohttp.ClientSession() as client, client.get(url) as response:
        return response.status, response.headers["Content-Type"], await response.text()


async def health(base: str) -> tuple[int, dict[str, object]]:
    async with aiohttp.ClientSession() as client, client.get(f"{base}/healthz") as response:
        return response.status, await response.json()


async def scrape(base: str) -> Samples:
    """Every sample of /metrics, parsed by prometheus_client, by (name, labels)."""
    status, content_type, text = await get(f"{base}/metrics")
    assert (status, content_type) == (200, CONTENT_TYPE_LATEST)
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


async def fan_out(app: App, chats: list[str]) -> None:
    async with app.sessions() as session:
        for chat in chats:
            await chat_in(session, chat, ALL_NEWS, platform="telegram", now=app.clock.now())
        await session.commit()
    await publish(app, draft(1, "성남시 드론", published_at=app.clock.now() - timedelta(minutes=5)))


async def all_sent(app: App) -> bool:
    async with app.sessions() as session:
        states = set(await session.scalars(select(Delivery.state)))
    return states == {DeliveryState.SENT}


async def until(predicate: object, what: str, seconds: float = 15.0) -> None:
    """Waits (polling) until ``predicate()`` is true; fails naming ``what`` if it never is.
    A test's patience, not a timed assertion."""
    assert callable(predicate)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not await predicate():
        assert loop.time() < deadline, f"never happened: {what}"
        await asyncio.sleep(0.05)


async def test_after_a_fan_out_metrics_count_every_delivery_and_health_is_ok(
    app: App, fake_telegram: FakeTelegram
) -> None:
    await fan_out(app, CHATS)
    bot = the_bot(app, fake_telegram)

    async with running(bot) as base:
        await until(lambda: all_sent(app), "every delivery sent")
        await fake_telegram.wait_for(lambda f: f.polling, timeout=10)
        samples = await scrape(base)
        status, body = await health(base)

    sent = len(fake_telegram.delivered())
    assert sent == len(CHATS)
    headline = {"platform": "telegram", "kind": "headline"}
    assert value(samples, "newsbot_deliveries_total", **headline, outcome="sent") == sent
    assert value(samples, "newsbot_send_seconds_count", platform="telegram") == sent
    assert value(samples, "newsbot_article_to_send_seconds_count", **headline) == sent
    # The fixed clock did not move between storing the article and sending it.
    assert value(samples, "newsbot_article_to_send_seconds_sum", **headline) == 0
    assert value(samples, "newsbot_outbox_depth", state="pending") == 0
    assert value(samples, "newsbot_outbox_depth", state="held") == 0
    assert value(samples, "newsbot_store_up") == 1
    assert value(samples, "newsbot_leader") == 1
    # Kiwi loads on first use (matching the article used it): the gauge and /healthz agree.
    assert value(samples, "newsbot_kiwi_loaded") == (body["analyzer"] == "kiwi")

    assert status == 200
    assert body["ok"] is True and body["leader"] is True and body["reason"] is None
    assert body["store"] == {"reachable": True, "error": None}
    head = migrate.head_revision()
    assert body["schema"] == {"store": head, "code": head, "current": True}
    assert body["last_send"] == app.clock.now().isoformat()
    assert body["last_poll"] is None  # no feeds
    assert body["platforms"] == {"console": {"state": "up"}, "telegram": {"state": "up"}}


async def test_feed_polls_are_counted_by_result_and_the_last_good_one_is_in_health(
    app: App, fake_telegram: FakeTelegram, feed_server: FeedServer
) -> None:
    feed_server.add("/good.xml", FEED)
    feed_server.add("/broken.xml", status=500)
    await add_feed(app, feed_server.url("/good.xml"))
    await add_feed(app, feed_server.url("/broken.xml"))
    bot = the_bot(app, fake_telegram)

    async with running(bot) as base:
        # The fixed clock never makes them due again: each is polled once.
        await until(lambda: _polled(base, 2), "both feeds polled")
        samples = await scrape(base)
        _, body = await health(base)

    assert value(samples, "newsbot_feed_polls_total", result="ok") == 1
    assert value(samples, "newsbot_feed_polls_total", result="failed") == 1
    assert body["last_poll"] == app.clock.now().isoformat()


async def _polled(base: str, feeds: int) -> bool:
    samples = await scrape(base)
    return sum(v for (name, _), v in samples.items() if name == "newsbot_feed_polls_total") >= feeds


async def test_outbox_depth_counts_what_waits(app: App, fake_telegram: FakeTelegram) -> None:
    await fan_out(app, CHATS)
    bot = the_bot(app, fake_telegram)  # not running: nothing is sent, nobody leads yet

    text, _ = await bot.metrics.scrape()

    samples = {
        (sample.name, sample.labels.get("state")): sample.value
        for family in text_string_to_metric_families(text.decode())
        for sample in family.samples
    }
    assert samples[("newsbot_outbox_depth", "pending")] == len(CHATS)
    assert samples[("newsbot_outbox_depth", "held")] == 0
    assert samples[("newsbot_leader", None)] == 0


async def answered(fake: FakeTelegram, text: str) -> None:
    before = len(fake.sent_to(READER))
    fake.send_update(READER, text)
    await fake.wait_for(lambda f: len(f.sent_to(READER)) > before, timeout=10)


async def test_command_latency_is_labelled_by_the_registrys_name_never_the_words_typed(
    app: App, fake_telegram: FakeTelegram
) -> None:
    bot = the_bot(app, fake_telegram)

    async with running(bot) as base:
        await fake_telegram.wait_for(lambda f: f.polling, timeout=10)
        for text in ("/검색 드론", "/search 드론", "/top", "/nonsense 비밀번호"):
            await answered(fake_telegram, text)
        samples = await scrape(base)

    assert value(samples, "newsbot_command_seconds_count", command="search") == 2
    assert value(samples, "newsbot_command_seconds_count", command="top") == 1
    commands = {
        dict(labels)["command"]
        for name, labels in samples
        if name == "newsbot_command_seconds_count"
    }
    assert commands == {"search", "top"}


async def test_a_worker_serves_health_and_metrics_where_its_own_setting_says_and_does_not_lead(
    app: App, fake_telegram: FakeTelegram
) -> None:
    bot = the_bot(
        app,
        fake_telegram,
        readers=False,
        http_listen="127.0.0.1:1",  # `newsbot run`'s address: a worker must not take it
        worker_http_listen="127.0.0.1:0",
        api_token="cms-test-token-0123456789",
    )

    async with running(bot, lead=False) as base:
        status, body = await health(base)
        samples = await scrape(base)
        async with aiohttp.ClientSession() as client, client.post(f"{base}/api/articles") as api:
            api_status = api.status

    assert (status, body["ok"], body["leader"]) == (200, True, False)
    assert value(samples, "newsbot_leader") == 0
    assert bot.server is not None and bot.server.paths == ["/healthz", "/metrics"]
    assert (bot.cms_api, api_status) == (None, 404)  # the CMS API is `newsbot run`'s alone


async def test_a_worker_has_no_http_server_without_its_own_setting(
    app: App, fake_telegram: FakeTelegram
) -> None:
    """A shared .env with NEWSBOT_HTTP_LISTEN (Slack's HTTP mode on `newsbot run`) and the
    CMS token: a worker beside `run` on the same host must not try to bind the same port."""
    bot = the_bot(
        app,
        fake_telegram,
        readers=False,
        http_listen="127.0.0.1:8080",
        api_token="cms-test-token-0123456789",
    )

    assert (bot.server, bot.cms_api) == (None, None)


@contextlib.contextmanager
def refusing_connections(database_url: str) -> Iterator[None]:
    """The test's PostgreSQL database goes away as in a restart: its sessions are cut and
    no new one is let in, until the block ends. The server itself (shared) keeps running."""
    name = make_url(database_url).database
    server = make_url(database_url).set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(_pg_conninfo(server), autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        try:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            yield
        finally:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


@pytest.mark.postgres
async def test_health_is_503_while_the_store_is_away_and_200_once_it_is_back(
    app: App, fake_telegram: FakeTelegram, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("a PostgreSQL database going away")
    bot = the_bot(app, fake_telegram)

    async with running(bot) as base:
        before, _ = await health(base)
        with refusing_connections(database_url):
            away, away_body = await health(base)
            metrics_away = await scrape(base)
        await until(lambda: _status_is(base, 200), "/healthz back to 200 once the store is")
        metrics_back = await scrape(base)

    assert (before, away) == (200, 503)
    assert away_body["ok"] is False
    store = away_body["store"]
    # The listener is public: a class, never the driver's words (host, address, database).
    assert store == {"reachable": False, "error": "unreachable"}
    assert away_body["reason"] == "store unreachable"
    assert "127.0.0.1" not in json.dumps(away_body)
    assert str(make_url(database_url).database) not in json.dumps(away_body)
    # The scrape still answers; it says the store is away instead of a depth it cannot read.
    assert value(metrics_away, "newsbot_store_up") == 0
    assert value(metrics_away, "newsbot_outbox_depth", state="pending") is None
    assert value(metrics_back, "newsbot_store_up") == 1
    assert value(metrics_back, "newsbot_outbox_depth", state="pending") == 0


async def _status_is(base: str, wanted: int) -> bool:
    status, _ = await health(base)
    return status == wanted
