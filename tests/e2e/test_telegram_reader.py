"""A reader's Telegram, end to end: the running bot, the real PTB client, a fake Bot API.

The whole service runs in-process (frontend, matcher, dispatcher) against the fake over
loopback HTTP; the tests act as Telegram would, pushing updates and reading what the bot
sent, edited and answered. Nothing is monkeypatched between the bot and the fake.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from newsbot.app import App
from newsbot.bot import Overrides, build_bot
from newsbot.clock import FixedClock
from newsbot.delivery.matcher import match_pending
from newsbot.delivery.pacing import Limits
from newsbot.platforms.telegram import TelegramPlatform
from newsbot.platforms.telegram_bot import TelegramFrontend, WebhookConfig
from newsbot.store.articles import store_drafts
from newsbot.store.delivery_models import Chat, Delivery
from newsbot.store.drafts import ArticleDraft
from newsbot.text.analyzer import default_analyzer
from tests.conftest import make_settings
from tests.fakes.telegram_api import TOKEN, FakeTelegram
from tests.helpers import load_samples

NOON_KST = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
READER = 5151
GROUP = -1005550001
CHANNEL = -1007770001
FAST = Limits(overall_per_second=1000, per_chat_per_second=50, per_group_per_minute=3000)
Json = dict[str, Any]
NEWSBOT = str(Path(sys.executable).parent / "newsbot")


@dataclass
class Running:
    fake: FakeTelegram
    frontend: TelegramFrontend
    app: App

    def texts(self, chat: int) -> list[str]:
        return [m["text"] for m in self.fake.sent_to(chat)]

    async def said(self, chat: int, count: int, timeout: float = 10.0) -> list[Json]:  # noqa: ASYNC109
        """Wait until the bot has sent `count` messages to the chat; all it sent."""
        await self.fake.wait_for(lambda f: len(f.sent_to(chat)) >= count, timeout)
        return self.fake.sent_to(chat)

    async def answer(self, chat: int, text: str, **kwargs: Any) -> Json:
        """Send `text` as a reader and wait for the bot's one reply."""
        before = len(self.fake.sent_to(chat))
        self.fake.send_update(chat, text, **kwargs)
        return (await self.said(chat, before + 1))[before]


async def deliveries_to(app: App, chat: int) -> int:
    """Outbox rows for a chat: what the dispatcher will send there besides replies."""
    async with app.sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Delivery)
            .join(Chat, Chat.id == Delivery.chat_id)
            .where(Chat.platform_chat_id == str(chat))
        )
        return int(count or 0)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _running(
    app: App, clock: FixedClock, fake: FakeTelegram, webhook: WebhookConfig | None = None
) -> AsyncIterator[Running]:
    clock.set(NOON_KST)
    await load_samples(app)
    analyzer = default_analyzer()
    async with app.sessions() as session:  # the samples are old news to the matcher
        while (await match_pending(session, analyzer, now=clock.now())).events:
            pass  # a fan-out is matched a chunk a call
        await session.commit()
    hook: dict[str, Any] = {}
    if webhook is not None:
        hook = {
            "telegram_webhook_url": webhook.url,
            "telegram_webhook_secret": webhook.secret,
            "telegram_webhook_listen": f"{webhook.host}:{webhook.port}",
        }
    # The bot as `newsbot run` builds it, its Telegram pointed at the fake and paced faster.
    settings = make_settings(app.settings.database_url, telegram_token=TOKEN, **hook)
    platform = TelegramPlatform(TOKEN, api_url=fake.api_url, limits=FAST)
    built = build_bot(
        dataclasses.replace(app, settings=settings),
        overrides=Overrides(
            platforms={"telegram": platform}, dispatch_owner="e2e:reader", dispatch_concurrency=8
        ),
    )
    (frontend,) = (f for f in built.frontends if isinstance(f, TelegramFrontend))
    service = built.service
    task = asyncio.create_task(service.run(lead=True))
    try:
        if webhook is None:
            await fake.wait_for(lambda f: f.polling, timeout=10)
        else:
            await fake.wait_for(lambda f: f.webhook_url == webhook.url, timeout=10)
        yield Running(fake, frontend, app)
    finally:
        service.stop.set()
        await asyncio.wait_for(task, timeout=15)


@pytest.fixture
async def bot(app: App, clock: FixedClock, fake_telegram: FakeTelegram) -> AsyncIterator[Running]:
    async for running in _running(app, clock, fake_telegram):
        yield running


def buttons(message: Json) -> list[tuple[str, str]]:
    markup = message.get("reply_markup") or {}
    return [(b["text"], b["callback_data"]) for row in markup["inline_keyboard"] for b in row]


def token_of(message: Json, predicate: Callable[[str, str], bool]) -> str:
    return next(data for label, data in buttons(message) if predicate(label, data))


# --- a new reader ---------------------------------------------------------------------------


async def test_a_new_reader_subscribes_from_start_and_gets_new_articles(
    bot: Running, app: App, clock: FixedClock
) -> None:
    welcome = await bot.answer(READER, "/start")
    assert welcome["parse_mode"] == "HTML"
    assert "뉴스봇" in welcome["text"]
    assert ("📰 전체 뉴스 받기", "sub:all") in buttons(welcome)

    bot.fake.press_button(READER, welcome["message_id"], "sub:all", user_id=READER)
    sent = await bot.said(READER, 5)  # the confirmation and the latest three headlines
    assert "구독했습니다: 전체 뉴스" in sent[1]["text"]
    assert all('<a href="https://' in m["text"] for m in sent[2:5])

    clock.set(NOON_KST + timedelta(minutes=5))
    draft = ArticleDraft(
        source="e2e",
        guid="e2e-new-1",
        url="https://news.example.kr/e2e-new-1",
        title="성남시, 드론 택배 <시범> 운영 & 확대",
        lead="시민 체감형 서비스",
        published_at=clock.now(),
    )
    async with app.sessions() as session:
        await store_drafts(session, [draft], now=clock.now())
        await session.commit()

    pushed = (await bot.said(READER, 6))[5]
    assert "성남시, 드론 택배 &lt;시범&gt; 운영 &amp; 확대" in pushed["text"]
    assert bot.fake.calls("answerCallbackQuery")[0]["text"].startswith("구독했습니다")


async def test_the_menu_is_set_in_korean_and_english(bot: Running) -> None:
    korean = dict(bot.fake.commands_for("ko"))
    english = dict(bot.fake.commands_for("en"))

    assert set(korean) == set(english) >= {"start", "subscribe", "top", "search", "settings"}
    assert korean["top"] == "가장 많이 본 뉴스" and english["top"] == "Most viewed"
    assert bot.fake.commands_for(None) == bot.fake.commands_for("ko")  # Korean by default
    assert "Local news" in bot.fake.descriptions["en"]


async def test_an_english_speaking_reader_is_answered_in_english(bot: Running) -> None:
    reply = await bot.answer(READER, "/start", language="en")

    assert "Hello, this is newsbot." in reply["text"]
    assert ("📰 All news", "sub:all") in buttons(reply)


async def test_english_help_lists_every_command_uncut(bot: Running) -> None:
    reply = await bot.answer(READER, "/help", language="en")

    assert reply["text"].startswith("<b>How to use newsbot</b>")
    assert "/search words search articles" in reply["text"]
    assert "/channel @channel" in reply["text"]


# --- flood control ---------------------------------------------------------------------------


async def test_a_burst_of_commands_under_flood_control_loses_no_reply(bot: Running) -> None:
    commands = ["/top", "/latest 3", "/list", "/help", "/settings", "/search 성남시", "/start"]
    bot.fake.then(str(READER), "429", "429", "429")  # Telegram: "retry after 1"

    for text in commands:
        bot.fake.send_update(READER, text)
    replies = await bot.said(READER, len(commands), timeout=30)

    assert len(replies) == len(commands)
    assert len(bot.fake.calls("sendMessage")) == len(commands) + 3  # each 429 tried again
    assert any(r["text"].startswith("<b>가장 많이 본 뉴스") for r in replies)
    assert any(r["text"].startswith("<b>뉴스봇 사용법") for r in replies)


# --- reading ----------------------------------------------------------------------------------


async def test_top_lists_the_most_viewed_numbered(bot: Running) -> None:
    reply = await bot.answer(READER, "/top 5 week")

    assert reply["text"].startswith("<b>가장 많이 본 뉴스 (최근 7일)</b>")
    for rank in range(1, 6):
        assert f"\n\n{rank}. " in reply["text"]
    assert "\n\n6. " not in reply["text"]
    assert "👁 12,467" in reply["text"]  # the week's most read: 성남FC's comeback
    assert "reply_parameters" not in reply  # a private chat has nobody else to tell apart


async def test_search_pages_through_results_by_editing_one_message(bot: Running) -> None:
    first = await bot.answer(READER, "/search 성남시는")
    assert "<b>성남시</b>" in first["text"]
    assert "(1/" in first["text"]
    next_page = token_of(first, lambda label, _: label == "다음 ▶")

    bot.fake.press_button(READER, first["message_id"], next_page, user_id=READER)
    edited = await bot.fake.wait_for(
        lambda f: "(2/" in f.last_message(READER, first["message_id"])["text"]
    )

    assert edited
    assert len(bot.fake.sent_to(READER)) == 1  # edited in place, nothing new sent
    page_two = bot.fake.last_message(READER, first["message_id"])
    assert "\n\n6. " in page_two["text"]
    assert [label for label, _ in bot.fake.buttons(READER, first["message_id"])] == [
        "◀ 이전",
        "다음 ▶",
        *("✓ 관련도순", "최신순"),  # the order and period rows, as on every search
        *("✓ 전체", "1주", "1개월"),
    ]


async def test_plain_text_in_a_private_chat_is_searched(bot: Running) -> None:
    reply = await bot.answer(READER, "드론")

    assert reply["text"].startswith("<b>‘드론’ 검색 결과")


# --- settings -------------------------------------------------------------------------------


async def test_settings_change_by_buttons_on_the_same_message(bot: Running, app: App) -> None:
    shown = await bot.answer(READER, "/settings")
    quiet = token_of(shown, lambda label, _: label == "🌙 23:00-07:00")

    bot.fake.press_button(READER, shown["message_id"], quiet, user_id=READER)
    await bot.fake.wait_for(
        lambda f: "방해 금지: 23:00-07:00" in f.last_message(READER, shown["message_id"])["text"]
    )
    bot.fake.press_button(READER, shown["message_id"], "set:lang:en", user_id=READER)
    await bot.fake.wait_for(
        lambda f: "Quiet hours: 23:00-07:00" in f.last_message(READER, shown["message_id"])["text"]
    )

    assert len(bot.fake.sent_to(READER)) == 1
    async with app.sessions() as session:
        chat = await session.scalar(select(Chat).where(Chat.platform_chat_id == str(READER)))
    assert chat is not None and chat.language == "en" and chat.quiet_start == 23 * 60


# --- groups and channels --------------------------------------------------------------------


async def test_a_group_greets_once_obeys_its_admins_and_forgets_when_removed(
    bot: Running, app: App
) -> None:
    admin, member = 7001, 7002
    bot.fake.admins[str(GROUP)].add(admin)
    bot.fake.push_update(
        bot.fake.my_chat_member(
            GROUP, chat_type="supergroup", old_status="left", new_status="member", by_user_id=admin
        )
    )
    greeting = (await bot.said(GROUP, 1))[0]
    assert "관리자가 /subscribe" in greeting["text"]

    refused = await bot.answer(
        GROUP, "/subscribe@newsbot_bot 드론", user_id=member, chat_type="supergroup"
    )
    before = len(bot.fake.sent_to(GROUP))
    bot.fake.send_update(GROUP, "/subscribe 드론", user_id=admin, chat_type="supergroup")
    await bot.said(GROUP, before + 1)
    # The confirmation and the latest matching headlines, in whatever order they arrive.
    queued = await deliveries_to(app, GROUP)
    accepted = (await bot.said(GROUP, before + 1 + queued))[before:]
    bot.fake.send_update(GROUP, "/top@some_other_bot", user_id=member, chat_type="supergroup")
    listed = await bot.answer(GROUP, "/list@newsbot_bot", user_id=member, chat_type="supergroup")

    assert "관리자만 바꿀 수 있습니다" in refused["text"]
    assert queued >= 1
    assert ["구독했습니다: 키워드 ‘드론’" in m["text"] for m in accepted].count(True) == 1
    assert listed["text"].startswith("<b>받는 뉴스 1개</b>")  # the other bot's /top: no reply

    bot.fake.push_update(
        bot.fake.my_chat_member(
            GROUP,
            chat_type="supergroup",
            old_status="member",
            new_status="kicked",
            by_user_id=admin,
        )
    )

    async def inactive() -> bool:
        async with app.sessions() as session:
            chat = await session.scalar(select(Chat).where(Chat.platform_chat_id == str(GROUP)))
            return chat is not None and not chat.active

    for _ in range(100):
        if await inactive():
            break
        await asyncio.sleep(0.05)
    assert await inactive()


async def test_readers_in_a_group_get_top_and_search_like_anyone(bot: Running) -> None:
    member = 7003

    asked = bot.fake.message(GROUP, "/top@newsbot_bot 3", user_id=member, chat_type="supergroup")
    bot.fake.push_update(asked)
    [top] = await bot.said(GROUP, 1)
    found = await bot.answer(GROUP, "/search 드론", user_id=member, chat_type="supergroup")
    bot.fake.press_button(
        GROUP,
        found["message_id"],
        token_of(found, lambda label, _: label == "다음 ▶"),
        user_id=member,
    )
    await bot.fake.wait_for(lambda f: "(2/" in f.last_message(GROUP, found["message_id"])["text"])

    assert top["text"].startswith("<b>가장 많이 본 뉴스 (오늘)</b>")
    # In a group the answer quotes the command, so members can tell whose it is.
    assert top["reply_parameters"] == {
        "message_id": asked["message"]["message_id"],
        "allow_sending_without_reply": True,
    }
    assert "<b>드론</b>" in found["text"]
    assert len(bot.fake.sent_to(GROUP)) == 2  # the page turned in place


async def test_an_admin_subscribes_a_channel_and_headlines_are_posted_there(
    bot: Running, app: App, clock: FixedClock
) -> None:
    bot.fake.channel_post(CHANNEL, "hello", chat_title="성남 뉴스")  # Telegram knows the channel
    bot.fake.admins[str(CHANNEL)].add(READER)

    not_yet = await bot.answer(READER, f"/channel {CHANNEL} 행정")
    bot.fake.bot_admin_in.add(str(CHANNEL))
    done = await bot.answer(READER, f"/channel {CHANNEL} 행정")

    assert "관리자가 아닙니다" in not_yet["text"]
    assert "‘성남 뉴스’ 채널로 보냅니다: 분야 행정" in done["text"]
    clock.set(NOON_KST + timedelta(minutes=5))
    draft = ArticleDraft(
        source="e2e",
        guid="e2e-admin-1",
        url="https://news.example.kr/e2e-admin-1",
        title="성남시 행정 혁신 발표",
        section="행정",
        published_at=clock.now(),
    )
    async with app.sessions() as session:
        await store_drafts(session, [draft], now=clock.now())
        await session.commit()
    posted = await bot.fake.wait_for(
        lambda f: [m for m in f.sent_to(CHANNEL) if "성남시 행정 혁신 발표" in m["text"]]
    )
    assert posted


# --- webhook mode ---------------------------------------------------------------------------


async def test_a_webhook_takes_updates_only_with_the_secret_token(
    app: App, clock: FixedClock, fake_telegram: FakeTelegram
) -> None:
    port = _free_port()
    webhook = WebhookConfig(
        url=f"http://127.0.0.1:{port}/telegram",
        secret="s3cret_token-1",
        host="127.0.0.1",
        port=port,
    )
    async for bot in _running(app, clock, fake_telegram, webhook):
        update = fake_telegram.message(READER, "/latest 3")

        wrong = await fake_telegram.post_update_to(webhook.url, update, "not-the-secret")
        missing = await fake_telegram.post_update_to(webhook.url, update, None)
        right = await fake_telegram.post_update_to(webhook.url, update, webhook.secret)

        async with (
            aiohttp.ClientSession() as client,
            client.post(
                webhook.url,
                data=b"{not json",
                headers={"X-Telegram-Bot-Api-Secret-Token": webhook.secret},
            ) as garbled,
        ):
            garbled_status = garbled.status
        # The webhook is a route on the process's one HTTP server, beside its health check.
        async with (
            aiohttp.ClientSession() as client,
            client.get(f"http://127.0.0.1:{port}/healthz") as health,
            client.post(
                webhook.url,
                data=io.BytesIO(b"x" * 1_100_000),
                headers={"X-Telegram-Bot-Api-Secret-Token": webhook.secret},
            ) as huge,
        ):
            health_status, health_body, huge_status = (
                health.status,
                await health.json(),
                huge.status,
            )

        assert (wrong, missing, right, garbled_status) == (403, 403, 200, 400)
        up = {"state": "up"}
        assert (health_status, huge_status) == (200, 413)
        assert health_body["ok"] is True
        assert health_body["platforms"] == {"console": up, "telegram": up}
        reply = (await bot.said(READER, 1))[0]
        assert reply["text"].startswith("<b>최신 뉴스</b>")
        await asyncio.sleep(0.2)
        assert len(fake_telegram.sent_to(READER)) == 1  # the refused posts changed nothing
        assert fake_telegram.webhook_secret == webhook.secret
        assert not fake_telegram.calls("getUpdates")


# --- the real command -----------------------------------------------------------------------


async def test_newsbot_run_answers_telegram_readers_and_stops_on_sigterm(
    tmp_path: Path, fake_telegram: FakeTelegram
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env |= {
        "NEWSBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'newsbot.db'}",
        "NEWSBOT_TELEGRAM_TOKEN": TOKEN,
        "NEWSBOT_TELEGRAM_API_URL": fake_telegram.api_url,
    }
    process = await asyncio.create_subprocess_exec(
        NEWSBOT,
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake_telegram.wait_for(lambda f: f.polling, timeout=60)
        fake_telegram.send_update(READER, "/start")
        welcome = await fake_telegram.wait_for(lambda f: f.sent_to(READER), timeout=20)
        assert "뉴스봇" in welcome[0]["text"]
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode()[-2000:]
    assert TOKEN not in stderr.decode()
