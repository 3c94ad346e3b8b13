"""Delivery to Telegram with the real python-telegram-bot client against a fake Bot API.

Nothing here patches the client: PTB speaks HTTP to the fake on loopback through the
NEWSBOT_TELEGRAM_API_URL-style base URL, and the dispatcher decides what each answer means.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from newsbot.app import App
from newsbot.clock import FixedClock
from newsbot.delivery.dispatcher import Dispatcher, DispatchSettings
from newsbot.delivery.outcomes import Outgoing
from newsbot.delivery.pacing import Limits, Pacer
from newsbot.platforms.telegram import TelegramPlatform
from newsbot.platforms.telegram_render import MAX_TEXT, render_headline
from newsbot.store.delivery_models import Chat, Delivery, DeliveryState
from tests.builders import ALL_NEWS, chat_in, draft, publish
from tests.fakes.telegram_api import TOKEN, FakeTelegram

FAST = Limits(overall_per_second=10_000, per_chat_per_second=10_000, per_group_per_minute=1e6)


@pytest.fixture
async def telegram(fake_telegram: FakeTelegram) -> AsyncIterator[TelegramPlatform]:
    platform = TelegramPlatform(TOKEN, api_url=fake_telegram.api_url, limits=FAST)
    await platform.start()
    yield platform
    await platform.stop()


async def headline_for(app: App, chats: list[str]) -> None:
    """Each chat takes all news; then one headline with markup in it is published to them."""
    async with app.sessions() as session:
        for name in chats:
            await chat_in(session, name, ALL_NEWS, platform="telegram", now=app.clock.now())
        await session.commit()
    await publish(
        app,
        draft(
            1,
            "성남시 <드론> & 교통",
            url="https://news.example.kr/a/1",
            lead='판교에서 "첫" 비행',
            section="행정",
            published_at=app.clock.now() - timedelta(minutes=5),
        ),
    )


def dispatcher(app: App, telegram: TelegramPlatform) -> Dispatcher:
    return Dispatcher(
        app.sessions,
        {"telegram": telegram},
        app.clock,
        DispatchSettings(owner="e2e:1", concurrency=16),
        pacers={"telegram": Pacer(FAST)},
    )


async def drain(app: App, clock: FixedClock, send: Dispatcher, rounds: int = 20) -> None:
    for _ in range(rounds):
        report = await send.run_once()
        if not report.claimed:
            clock.advance(seconds=5)  # let retries come due
            if not (await send.run_once()).claimed:
                return


async def states(app: App) -> dict[DeliveryState, int]:
    async with app.sessions() as session:
        found: dict[DeliveryState, int] = {}
        for state in await session.scalars(select(Delivery.state)):
            found[state] = found.get(state, 0) + 1
        return found


async def test_a_headline_arrives_as_escaped_html_with_the_message_id_kept(
    app: App, fake_telegram: FakeTelegram, telegram: TelegramPlatform
) -> None:
    await headline_for(app, ["1001"])

    await dispatcher(app, telegram).run_once()

    [sent] = fake_telegram.delivered("1001")
    assert sent["parse_mode"] == "HTML"
    assert (
        '<b><a href="https://news.example.kr/a/1">성남시 &lt;드론&gt; &amp; 교통</a></b>'
        in (sent["text"])
    )
    assert "판교에서 &quot;첫&quot; 비행" in sent["text"]
    async with app.sessions() as session:
        message_id = await session.scalar(select(Delivery.platform_message_id))
    assert message_id == "1"


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
async def test_both_transports_send_the_same_request(
    app: App, fake_telegram: FakeTelegram, transport: str
) -> None:
    """newsbot's aiohttp transport posts JSON and PTB's stock one posts form fields: the Bot
    API must read the same message from both (the bench compares their speed)."""
    platform = TelegramPlatform(
        TOKEN, api_url=fake_telegram.api_url, limits=FAST, transport=transport
    )
    await platform.start()
    try:
        await headline_for(app, ["1002"])
        await dispatcher(app, platform).run_once()
    finally:
        await platform.stop()

    [sent] = fake_telegram.delivered("1002")
    options = sent["link_preview_options"]
    assert (sent["chat_id"], sent["parse_mode"]) == ("1002", "HTML")
    assert sent["text"] == (
        "행정 · 11-23 11:55\n"
        '<b><a href="https://news.example.kr/a/1">성남시 &lt;드론&gt; &amp; 교통</a></b>\n'
        "판교에서 &quot;첫&quot; 비행"
    )
    assert (json.loads(options) if isinstance(options, str) else options) == {"is_disabled": False}


async def test_a_429_storm_loses_nothing_and_doubles_nothing(
    app: App, clock: FixedClock, fake_telegram: FakeTelegram, telegram: TelegramPlatform
) -> None:
    chats = [str(2000 + n) for n in range(150)]
    await headline_for(app, chats)
    fake_telegram.flood_every = 4  # a quarter of all sends are told to wait

    await drain(app, clock, dispatcher(app, telegram))

    delivered = [r["chat_id"] for r in fake_telegram.delivered()]
    assert sorted(delivered) == sorted(chats)  # every chat once, none twice
    assert await states(app) == {DeliveryState.SENT: 150}
    assert sum(1 for r in fake_telegram.requests if r.method == "sendMessage") > 150


async def test_server_errors_and_timeouts_are_retried(
    app: App, clock: FixedClock, fake_telegram: FakeTelegram, telegram: TelegramPlatform
) -> None:
    await headline_for(app, ["3001", "3002"])
    fake_telegram.then("3001", "502", "502")
    fake_telegram.then("3002", "slow")
    fake_telegram.slow_seconds = 6.0  # beyond PTB's 5 s read timeout

    send = dispatcher(app, telegram)
    await send.run_once()
    for _ in range(4):
        clock.advance(seconds=60)
        await send.run_once()

    assert [r["chat_id"] for r in fake_telegram.delivered()].count("3001") == 1
    assert [r["chat_id"] for r in fake_telegram.delivered()].count("3002") >= 1
    assert (await states(app)) == {DeliveryState.SENT: 2}


async def test_blocked_missing_and_migrated_chats_are_handled(
    app: App, clock: FixedClock, fake_telegram: FakeTelegram, telegram: TelegramPlatform
) -> None:
    await headline_for(app, ["4001", "4002", "-4003"])
    fake_telegram.blocked.add("4001")
    fake_telegram.missing.add("4002")
    fake_telegram.migrated["-4003"] = -1004003

    await drain(app, clock, dispatcher(app, telegram))

    assert [r["chat_id"] for r in fake_telegram.delivered()] == ["-1004003"]
    async with app.sessions() as session:
        rows = await session.execute(
            select(Chat.platform_chat_id, Chat.active, Chat.inactive_reason).order_by(Chat.id)
        )
        chats = [tuple(row) for row in rows]
    assert chats == [
        ("4001", False, "Forbidden: bot was blocked by the user"),
        ("4002", False, "Chat not found"),
        ("-1004003", True, None),
    ]
    assert await states(app) == {DeliveryState.DROPPED: 2, DeliveryState.SENT: 1}


def test_no_rendered_headline_exceeds_telegrams_limit() -> None:
    huge = Outgoing(
        kind="breaking",
        title="<&>" * 5000,
        url="https://x.kr/" + "a" * 500,
        lead="\u200b🙂" * 8000,
        section="행정" * 50,
        published_at=datetime(2026, 11, 20, tzinfo=UTC),
    )
    rendered = render_headline(huge, ZoneInfo("Asia/Seoul"))
    visible = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    assert len(visible) <= MAX_TEXT
