"""Quiet hours and link previews through the real python-telegram-bot client and a fake API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from newsbot.app import App
from newsbot.clock import FixedClock
from newsbot.delivery.chat_settings import set_link_previews, set_quiet_hours
from newsbot.delivery.dispatcher import Dispatcher, DispatchSettings
from newsbot.delivery.pacing import Limits, Pacer
from newsbot.platforms.telegram import TelegramPlatform
from tests.builders import ALL_NEWS, chat_in, draft, publish
from tests.fakes.telegram_api import TOKEN, FakeTelegram

FAST = Limits(overall_per_second=10_000, per_chat_per_second=10_000, per_group_per_minute=1e6)
SEOUL_MIDNIGHT = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
SEOUL_SEVEN = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)


@pytest.fixture
async def telegram(fake_telegram: FakeTelegram) -> AsyncIterator[TelegramPlatform]:
    platform = TelegramPlatform(TOKEN, api_url=fake_telegram.api_url, limits=FAST)
    await platform.start()
    yield platform
    await platform.stop()


async def add_reader(app: App, name: str, *, quiet: str | None, previews: bool) -> None:
    now = app.clock.now()
    async with app.sessions() as session:
        chat = await chat_in(session, name, ALL_NEWS, platform="telegram", now=now)
        await set_quiet_hours(session, chat, quiet, now=now)
        set_link_previews(chat, previews, now=now)
        await session.commit()


async def publish_titles(app: App, *titles: str) -> None:
    """One article per title, a minute apart, the last published now."""
    await publish(
        app,
        *(
            draft(
                n,
                title,
                url=f"https://news.example.kr/{n}",
                section="행정",
                published_at=app.clock.now() - timedelta(minutes=len(titles) - 1 - n),
            )
            for n, title in enumerate(titles)
        ),
    )


async def test_a_quiet_chat_gets_one_message_at_seven_without_a_preview(
    app: App, clock: FixedClock, fake_telegram: FakeTelegram, telegram: TelegramPlatform
) -> None:
    await add_reader(app, "1001", quiet="23:00-07:00", previews=False)
    await add_reader(app, "1002", quiet=None, previews=True)
    send = Dispatcher(
        app.sessions,
        {"telegram": telegram},
        clock,
        DispatchSettings(owner="e2e:1"),
        pacers={"telegram": Pacer(FAST)},
    )
    clock.set(SEOUL_MIDNIGHT)
    await publish_titles(app, "성남시 <드론> 배송", "판교 & 교통")

    await send.run_once()
    at_night = fake_telegram.delivered("1001")
    clock.set(SEOUL_SEVEN)
    await send.run_once()

    assert at_night == []
    [away] = fake_telegram.delivered("1001")
    assert away["text"] == (
        "<b>🌙 자리를 비운 사이 들어온 뉴스 2건</b>\n"
        '• <a href="https://news.example.kr/1">판교 &amp; 교통</a>\n'
        "   행정 · 11-24 00:00\n"
        '• <a href="https://news.example.kr/0">성남시 &lt;드론&gt; 배송</a>\n'
        "   행정 · 11-23 23:59"
    )
    assert json.loads(away["link_preview_options"]) == {"is_disabled": True}
    awake = fake_telegram.delivered("1002")
    assert [json.loads(m["link_preview_options"]) for m in awake] == [{"is_disabled": False}] * 2
