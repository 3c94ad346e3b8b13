"""An editor's breaking news, correction and retraction reaching Slack channels as well as
Telegram readers: the running bot with both platforms, each against its fake over loopback.

The editor works on Telegram here (test_editor_from_slack has one working from Slack); the
copies in Slack channels are edited with chat.update and taken back with chat.delete, and a
copy Slack will not let the bot change gets the correction, or the notice, in its thread.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from newsbot.app import App
from newsbot.bot import Bot, Overrides, build_bot
from newsbot.clock import FixedClock
from newsbot.delivery.outcomes import Platform
from newsbot.platforms.slack import SlackPlatform
from newsbot.platforms.telegram import TelegramPlatform
from newsbot.roles import Role
from newsbot.store.delivery_models import ChatKind
from newsbot.store.models import Article
from newsbot.store.staff import appoint
from tests.builders import ALL_NEWS, add_chat
from tests.conftest import make_settings
from tests.e2e.test_editor_telegram import EDITOR, FAST, progress_until, say, token
from tests.fakes.slack_api import TOKEN as SLACK_TOKEN
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_api import fake_slack_fixture as fake_slack_fixture  # fixture fake_slack
from tests.fakes.telegram_api import TOKEN, FakeTelegram

CHANNELS = ["C01", "C02", "C03"]
READERS = [300_001, 300_002]
PROXIES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


@pytest.fixture
async def running(
    app: App, fake_telegram: FakeTelegram, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Bot]:
    for name in PROXIES:  # slack-sdk reads them itself; the fake is on loopback
        monkeypatch.delenv(name, raising=False)
    async with app.sessions() as session:
        await appoint(session, "telegram", str(EDITOR), Role.EDITOR, now=app.clock.now())
        await session.commit()
    for channel in CHANNELS:
        await add_chat(app, channel, ALL_NEWS, platform="slack", kind=ChatKind.SLACK_CHANNEL)
    for reader in READERS:
        await add_chat(app, str(reader), ALL_NEWS, platform="telegram")
    settings = make_settings(app.settings.database_url, telegram_token=TOKEN)
    platforms: dict[str, Platform] = {
        "telegram": TelegramPlatform(TOKEN, api_url=fake_telegram.api_url, limits=FAST),
        "slack": SlackPlatform(SLACK_TOKEN, api_url=fake_slack.api_url, limits=FAST),
    }
    bot = build_bot(
        dataclasses.replace(app, settings=settings),
        overrides=Overrides(platforms=platforms, dispatch_owner="e2e:slack-editor"),
    )
    task = asyncio.create_task(bot.service.run(lead=True))
    try:
        await fake_telegram.wait_for(lambda f: f.polling, timeout=10)
        yield bot
    finally:
        bot.service.stop.set()
        await asyncio.wait_for(task, timeout=15)


async def send(fake: FakeTelegram, clock: FixedClock, text: str) -> str:
    """The editor's command, Send pressed on its preview; the summary it ends in."""
    preview = await say(fake, text)
    fake.press_button(EDITOR, preview["message_id"], token(fake, preview, "보내기"), user_id=EDITOR)
    return await progress_until(fake, clock, preview["message_id"], lambda t: "완료" in t)


async def test_breaking_news_from_telegram_reaches_slack_and_is_corrected_and_retracted_there(
    running: Bot, app: App, clock: FixedClock, fake_telegram: FakeTelegram, fake_slack: FakeSlack
) -> None:
    breaking = await send(fake_telegram, clock, "/breaking 폭우 경보 | 하천 접근 금지")
    posted = {r.arguments["channel"]: r for r in fake_slack.delivered()}
    copies = {(p.channel, p.ts): p for p in fake_slack.messages.values()}
    frozen = next(key for key in copies if key[0] == "C03")
    fake_slack.frozen.add(frozen)
    fake_slack.undeletable.add(frozen)
    async with app.sessions() as session:
        article_id = await session.scalar(select(Article.id).where(Article.source == "newsroom"))

    corrected = await send(
        fake_telegram, clock, f"/correct {article_id} 호우 경보 | 하천 접근 금지"
    )
    edited = {key: p.text for key, p in fake_slack.messages.items() if key in copies}
    retracted = await send(fake_telegram, clock, f"/retract {article_id}")

    assert set(posted) == set(CHANNELS)
    assert all(len(fake_telegram.sent_to(r)) == 1 for r in READERS)
    assert "5곳 중 5곳 전달" in breaking
    assert all("호우 경보" in text for key, text in edited.items() if key != frozen)
    in_thread = [
        r.arguments
        for r in fake_slack.calls("chat.postMessage")
        if r.arguments.get("thread_ts") == frozen[1]
    ]
    assert "호우 경보" in in_thread[0]["text"]  # the correction, replied in its thread
    assert "제자리 수정 4 · 답장으로 정정 1" in corrected
    assert all(copies[key].deleted for key in copies if key != frozen)
    assert "[기사 취소]" in in_thread[1]["text"]  # the notice, where it could not be deleted
    assert "삭제 4 · 취소 안내로 대체 1" in retracted
