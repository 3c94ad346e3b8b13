"""An editor on Telegram, end to end: the running bot, the real PTB client, the fake Bot API.

The editor writes /breaking in a private chat, checks the preview and presses Send; 500
readers get the alert and the preview turns into live progress, then a summary. A
correction edits every copy in place (Telegram's editMessageText, even past 48 hours); a
retraction deletes every copy Telegram still lets a bot delete and replaces the rest with a
notice. The clock is the tests' own: it moves only when a test waits for progress.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import select

from newsbot.app import App
from newsbot.bot import Bot, Overrides, build_bot
from newsbot.clock import FixedClock
from newsbot.delivery.pacing import Limits
from newsbot.platforms.telegram import TelegramPlatform
from newsbot.roles import Role
from newsbot.store.editorial import AuditEntry
from newsbot.store.models import Article
from newsbot.store.staff import appoint
from tests.builders import ALL_NEWS, add_chat
from tests.conftest import make_settings
from tests.fakes.telegram_api import TOKEN, FakeTelegram

EDITOR, READER = 6161, 5151
FIRST_READER = 100_001
FAST = Limits(overall_per_second=5000, per_chat_per_second=50, per_group_per_minute=3000)
Json = dict[str, Any]


@pytest.fixture
async def running(app: App, fake_telegram: FakeTelegram) -> AsyncIterator[Bot]:
    async with app.sessions() as session:
        await appoint(session, "telegram", str(EDITOR), Role.EDITOR, now=app.clock.now())
        await session.commit()
    settings = make_settings(app.settings.database_url, telegram_token=TOKEN)
    bot = build_bot(
        dataclasses.replace(app, settings=settings),
        overrides=Overrides(
            platforms={
                "telegram": TelegramPlatform(TOKEN, api_url=fake_telegram.api_url, limits=FAST)
            },
            dispatch_owner="e2e:editor",
        ),
    )
    task = asyncio.create_task(bot.service.run(lead=True))
    try:
        await fake_telegram.wait_for(lambda f: f.polling, timeout=10)
        yield bot
    finally:
        bot.service.stop.set()
        await asyncio.wait_for(task, timeout=15)


async def readers(app: App, count: int) -> list[int]:
    ids = list(range(FIRST_READER, FIRST_READER + count))
    for chat in ids:
        await add_chat(app, str(chat), ALL_NEWS, platform="telegram")
    return ids


async def say(fake: FakeTelegram, text: str, user: int = EDITOR) -> Json:
    """The editor writes; the bot's one answer."""
    before = len(fake.sent_to(user))
    fake.send_update(user, text)
    await fake.wait_for(lambda f: len(f.sent_to(user)) > before, timeout=10)
    return fake.sent_to(user)[before]


def token(fake: FakeTelegram, message: Json, label: str) -> str:
    (data,) = [d for text, d in fake.buttons(EDITOR, message["message_id"]) if label in text]
    return data


async def progress_until(
    fake: FakeTelegram, clock: FixedClock, message_id: int, done: Callable[[str], bool]
) -> str:
    """Let the clock run, a second per look, until the editor's message says ``done``."""

    def check(f: FakeTelegram) -> bool:
        clock.advance(seconds=1)
        return done(f.last_message(EDITOR, message_id)["text"])

    await fake.wait_for(check, timeout=30)
    return str(fake.last_message(EDITOR, message_id)["text"])


def alerts(fake: FakeTelegram, chats: list[int]) -> dict[int, Json]:
    return {chat: fake.sent_to(chat)[0] for chat in chats if fake.sent_to(chat)}


async def test_breaking_news_reaches_500_readers_with_live_progress_ending_in_a_summary(
    running: Bot, app: App, clock: FixedClock, fake_telegram: FakeTelegram
) -> None:
    chats = await readers(app, 500)
    edits_before = len(fake_telegram.calls("editMessageText"))

    preview = await say(fake_telegram, "/breaking 시청 앞 도로 통제 | 오후 3시부터 전면 통제")
    send = token(fake_telegram, preview, "보내기")
    fake_telegram.press_button(EDITOR, preview["message_id"], send, user_id=EDITOR)
    fake_telegram.press_button(EDITOR, preview["message_id"], send, user_id=EDITOR)  # twice
    await fake_telegram.wait_for(lambda f: len(alerts(f, chats)) == 500, timeout=30)
    summary = await progress_until(
        fake_telegram, clock, preview["message_id"], lambda text: "완료" in text
    )

    assert "🔴 속보" in preview["text"] and "<b>시청 앞 도로 통제</b>" in preview["text"]
    texts = {m["text"] for m in alerts(fake_telegram, chats).values()}
    assert len(texts) == 1 and "시청 앞 도로 통제" in texts.pop()
    assert all(len(fake_telegram.sent_to(chat)) == 1 for chat in chats)  # sent once
    assert "속보 「시청 앞 도로 통제」 완료: 500곳 중 500곳 전달, 실패 0" in summary
    assert "50%:" in summary and "100%:" in summary
    progress_edits = [
        e
        for e in fake_telegram.calls("editMessageText")[edits_before:]
        if e["chat_id"] == str(EDITOR)
    ]
    assert len(progress_edits) >= 2  # "sending…" on Send, then progress, then the summary
    assert fake_telegram.buttons(EDITOR, preview["message_id"]) == []


async def test_a_correction_edits_every_copy_in_place_even_past_48_hours(
    running: Bot, app: App, clock: FixedClock, fake_telegram: FakeTelegram
) -> None:
    chats = await readers(app, 20)
    preview = await say(fake_telegram, "/breaking 도서관 휴관 | 내일 쉽니다")
    fake_telegram.press_button(
        EDITOR, preview["message_id"], token(fake_telegram, preview, "보내기"), user_id=EDITOR
    )
    await progress_until(fake_telegram, clock, preview["message_id"], lambda t: "완료" in t)
    fake_telegram.age_messages(49 * 3600, chat=chats[0])  # beyond the 48 hours
    async with app.sessions() as session:
        article_id = await session.scalar(select(Article.id).where(Article.source == "newsroom"))

    correction = await say(
        fake_telegram, f"/correct {article_id} 도서관 임시 휴관 | 모레까지 쉽니다"
    )
    fake_telegram.press_button(
        EDITOR, correction["message_id"], token(fake_telegram, correction, "보내기"), user_id=EDITOR
    )
    summary = await progress_until(
        fake_telegram, clock, correction["message_id"], lambda text: "완료" in text
    )

    assert "✏️ [정정]" in correction["text"]
    for chat, alert in alerts(fake_telegram, chats).items():
        now = fake_telegram.last_message(chat, alert["message_id"])
        assert "도서관 임시 휴관" in now["text"] and "[정정]" in now["text"]
        assert len(fake_telegram.sent_to(chat)) == 1  # edited, not sent again
    assert "제자리 수정 20 · 답장으로 정정 0" in summary


async def test_a_retraction_deletes_what_it_may_and_replaces_the_rest_with_a_notice(
    running: Bot, app: App, clock: FixedClock, fake_telegram: FakeTelegram
) -> None:
    chats = await readers(app, 10)
    preview = await say(fake_telegram, "/breaking 오보 | 잘못 보낸 기사")
    fake_telegram.press_button(
        EDITOR, preview["message_id"], token(fake_telegram, preview, "보내기"), user_id=EDITOR
    )
    await progress_until(fake_telegram, clock, preview["message_id"], lambda t: "완료" in t)
    old = chats[:3]
    for chat in old:
        fake_telegram.age_messages(49 * 3600, chat=chat)
    first = alerts(fake_telegram, chats)
    async with app.sessions() as session:
        article_id = await session.scalar(select(Article.id).where(Article.source == "newsroom"))

    confirm = await say(fake_telegram, f"/retract {article_id}")
    fake_telegram.press_button(
        EDITOR, confirm["message_id"], token(fake_telegram, confirm, "보내기"), user_id=EDITOR
    )
    summary = await progress_until(
        fake_telegram, clock, confirm["message_id"], lambda text: "완료" in text
    )
    latest = await say(fake_telegram, "/latest", user=READER)

    assert "보낸 10부" in confirm["text"]
    deleted = {int(chat) for chat, _ in fake_telegram.deleted}
    assert deleted == set(chats) - set(old)
    for chat in old:
        now = fake_telegram.last_message(chat, first[chat]["message_id"])
        assert "[기사 취소]" in now["text"] and "<s>오보</s>" in now["text"]
    assert "삭제 7 · 취소 안내로 대체 3" in summary
    assert "오보" not in latest["text"]


async def test_a_reader_cannot_send_breaking_news_and_the_attempt_is_audited(
    running: Bot, app: App, fake_telegram: FakeTelegram
) -> None:
    chats = await readers(app, 3)

    refused = await say(fake_telegram, "/breaking 가짜 | 가짜", user=READER)
    forged = fake_telegram.press_button(READER, 1, "ed:send:1", user_id=READER)
    await fake_telegram.wait_for(
        lambda f: any(c.get("callback_query_id") for c in f.calls("answerCallbackQuery")),
        timeout=10,
    )

    assert refused["text"] == "<b>편집자만 쓸 수 있는 명령입니다.</b>"
    assert forged and all(not fake_telegram.sent_to(chat) for chat in chats)
    async with app.sessions() as session:
        audit = [
            (e.user_id, e.action, e.outcome) for e in await session.scalars(select(AuditEntry))
        ]
    assert (str(READER), "/breaking", "refused") in audit
    assert (str(READER), "button ed", "refused") in audit


async def test_a_copy_gone_is_corrected_by_a_reply_and_a_retraction_takes_the_reply_back(
    running: Bot, app: App, clock: FixedClock, fake_telegram: FakeTelegram
) -> None:
    chats = await readers(app, 3)
    preview = await say(fake_telegram, "/breaking 버스 파업 | 첫차부터")
    fake_telegram.press_button(
        EDITOR, preview["message_id"], token(fake_telegram, preview, "보내기"), user_id=EDITOR
    )
    await progress_until(fake_telegram, clock, preview["message_id"], lambda t: "완료" in t)
    gone = chats[0]
    fake_telegram.delete_for_everyone(gone, alerts(fake_telegram, chats)[gone]["message_id"])
    async with app.sessions() as session:
        article_id = await session.scalar(select(Article.id).where(Article.source == "newsroom"))

    correction = await say(fake_telegram, f"/correct {article_id} 버스 파업 철회 | 정상 운행")
    fake_telegram.press_button(
        EDITOR, correction["message_id"], token(fake_telegram, correction, "보내기"), user_id=EDITOR
    )
    corrected = await progress_until(
        fake_telegram, clock, correction["message_id"], lambda t: "완료" in t
    )
    (reply,) = fake_telegram.sent_to(gone)[1:]
    confirm = await say(fake_telegram, f"/retract {article_id}")
    fake_telegram.press_button(
        EDITOR, confirm["message_id"], token(fake_telegram, confirm, "보내기"), user_id=EDITOR
    )
    retracted = await progress_until(
        fake_telegram, clock, confirm["message_id"], lambda t: "완료" in t
    )

    assert "제자리 수정 2 · 답장으로 정정 1" in corrected
    assert "버스 파업 철회" in reply["text"]
    assert (
        reply["reply_parameters"]["message_id"] == alerts(fake_telegram, chats)[gone]["message_id"]
    )
    (batch,) = fake_telegram.calls("deleteMessages")
    assert batch["chat_id"] == str(gone)
    assert json.loads(batch["message_ids"]) == [reply["message_id"]]
    assert (str(gone), reply["message_id"]) in fake_telegram.deleted
    assert "삭제 3 · 취소 안내로 대체 0" in retracted
