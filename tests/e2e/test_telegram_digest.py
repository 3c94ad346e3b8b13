"""The morning digest end to end: the running bot, its leader's minute tick, the real PTB
client and the fake Bot API over loopback.

A Telegram chat set to 08:00 KST gets exactly one digest for the day, listing the seven most
viewed articles of the last 24 hours: when the bot restarts at the digest minute, and when
two bots share one PostgreSQL store (whichever leads ticks; the other only dispatches, and
a tick that both ran would still write one digest). Time is the injected clock's: the tick
runs at once when a process takes the lead, so no test waits for a real minute.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED  # type: ignore[import-untyped]
from sqlalchemy import func, select

from newsbot.app import App, open_app
from newsbot.bot import Overrides, build_bot
from newsbot.clock import FixedClock
from newsbot.delivery.pacing import Limits
from newsbot.digest.tick import DigestTick
from newsbot.platforms.telegram import TelegramPlatform
from newsbot.service import Service
from newsbot.store.delivery_models import Delivery, DeliveryState
from tests.conftest import make_settings
from tests.digest_helpers import (
    EIGHT_KST,
    articles_with_views,
    digest_chat,
    digest_deliveries,
)
from tests.fakes.telegram_api import TOKEN, FakeTelegram

READER = 5151
FAST = Limits(overall_per_second=1000, per_chat_per_second=50, per_group_per_minute=3000)
PATIENCE = 15.0  # seconds; every wait here ends within milliseconds on loopback
VIEWS = [5, 90, 40, 70, 10, 80, 60, 30, 20, 50]
TITLE = "<b>12월 7일 (월) 가장 많이 본 뉴스</b>"


def ticked(service: Service) -> asyncio.Event:
    """Set each time this service's digest tick has run."""
    done = asyncio.Event()

    def heard(event: Any) -> None:
        if event.job_id == "digest":
            done.set()

    service.leader_jobs.scheduler.add_listener(heard, EVENT_JOB_EXECUTED)
    return done


@asynccontextmanager
async def running(app: App, fake: FakeTelegram, owner: str) -> AsyncIterator[Service]:
    """``newsbot run`` as the CLI builds it, its Telegram pointed at the fake."""
    settings = make_settings(app.settings.database_url, telegram_token=TOKEN)
    built = build_bot(
        dataclasses.replace(app, settings=settings),
        readers=False,
        overrides=Overrides(
            platforms={"telegram": TelegramPlatform(TOKEN, api_url=fake.api_url, limits=FAST)},
            dispatch_owner=owner,
        ),
    )
    task = asyncio.create_task(built.service.run(lead=True))
    try:
        yield built.service
    finally:
        built.service.stop.set()
        await asyncio.wait_for(task, PATIENCE)


async def arrange(app: App, clock: FixedClock) -> tuple[int, list[int]]:
    clock.set(EIGHT_KST - timedelta(hours=1))
    ids = await articles_with_views(app, VIEWS, published=EIGHT_KST - timedelta(hours=20))
    chat = await digest_chat(app, str(READER), platform="telegram")
    return chat, ids


def seven_most_viewed(ids: list[int]) -> list[str]:
    ranked = [i for _, i in sorted(zip(VIEWS, ids, strict=True), reverse=True)][:7]
    return [f"https://news.example.kr/a/d{ids.index(i)}" for i in ranked]


def digests_in(fake: FakeTelegram) -> list[str]:
    return [m["text"] for m in fake.sent_to(READER) if m["text"].startswith(TITLE)]


def links(text: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)">', text)


async def until(event: asyncio.Event) -> None:
    await asyncio.wait_for(event.wait(), PATIENCE)
    event.clear()


async def test_a_chat_at_eight_gets_one_digest_of_the_seven_most_viewed_across_a_restart(
    app: App, clock: FixedClock, fake_telegram: FakeTelegram
) -> None:
    chat, ids = await arrange(app, clock)

    clock.set(EIGHT_KST + timedelta(seconds=5))
    async with running(app, fake_telegram, "e2e:first") as first:
        await until(ticked(first))  # 08:00:05: the tick on taking the lead enqueues it
        # and the bot stops at once: sent already, or left for the next process
    clock.set(EIGHT_KST + timedelta(seconds=40))
    async with running(app, fake_telegram, "e2e:second") as second:
        done = ticked(second)
        await fake_telegram.wait_for(lambda f: len(digests_in(f)) >= 1, PATIENCE)
        await until(done)  # the restarted bot's own tick of the same minute ran too

    [digest] = digests_in(fake_telegram)
    assert links(digest) == seven_most_viewed(ids)
    assert [line[:3] for line in digest.splitlines()[1::2]] == [f"{n}. " for n in range(1, 8)]
    [row] = await digest_deliveries(app, chat)
    assert row.state == DeliveryState.SENT


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
async def test_two_bots_on_one_postgresql_store_send_one_digest(
    database_url: str, clock: FixedClock, fake_telegram: FakeTelegram
) -> None:
    settings = make_settings(database_url)
    async with (
        open_app(settings, clock=clock) as one,
        open_app(settings, clock=clock) as two,
    ):
        chat, ids = await arrange(one, clock)
        clock.set(EIGHT_KST + timedelta(seconds=1))
        async with (
            running(one, fake_telegram, "e2e:one") as first,
            running(two, fake_telegram, "e2e:two") as second,
        ):
            either = [asyncio.create_task(until(ticked(s))) for s in (first, second)]
            await asyncio.wait(either, timeout=PATIENCE, return_when=asyncio.FIRST_COMPLETED)
            for waiting in either:
                waiting.cancel()
            await fake_telegram.wait_for(lambda f: len(digests_in(f)) >= 1, PATIENCE)
            # Both stores' ticks at once, as if both led (a failover's overlap): still one.
            reports = await asyncio.gather(
                *(
                    DigestTick(a.sessions, grace=timedelta(hours=3), zone=a.settings.zone).run(
                        clock.now()
                    )
                    for a in (one, two)
                )
            )
            assert [r.queued for r in reports] == [0, 0]

        [digest] = digests_in(fake_telegram)
        assert links(digest) == seven_most_viewed(ids)
        assert len(await digest_deliveries(one, chat)) == 1


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
async def test_two_ticks_racing_on_postgresql_write_each_digest_once(
    database_url: str, clock: FixedClock
) -> None:
    """Two processes' ticks over the same 200 due chats at the same moment."""
    settings = make_settings(database_url)
    async with (
        open_app(settings, clock=clock) as one,
        open_app(settings, clock=clock) as two,
    ):
        clock.set(EIGHT_KST - timedelta(hours=1))
        await articles_with_views(one, VIEWS, published=EIGHT_KST - timedelta(hours=20))
        chats = [await digest_chat(one, f"c{n}") for n in range(200)]
        clock.set(EIGHT_KST)
        ticks = [
            DigestTick(a.sessions, grace=timedelta(hours=3), zone=a.settings.zone, batch=50)
            for a in (one, two)
        ]

        reports = await asyncio.gather(*(t.run(clock.now()) for t in ticks))

        assert sum(r.queued for r in reports) == 200
        async with one.sessions() as session:
            rows = await session.execute(
                select(Delivery.chat_id, func.count()).group_by(Delivery.chat_id)
            )
            assert {chat: count for chat, count in rows} == dict.fromkeys(chats, 1)
