"""Search beyond the literal words, as a Telegram reader meets it: aliases, "이것을
찾으셨나요?" buttons, periods and newest-first order, end to end over loopback HTTP against
the fake Bot API (the bot as ``newsbot run`` builds it, on SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator

import pytest

from newsbot.app import App
from newsbot.clock import FixedClock
from tests.e2e.test_telegram_reader import NEWSBOT, READER, Json, Running, _running, buttons
from tests.fakes.telegram_api import FakeTelegram

_TOTAL = re.compile(r"검색 결과 (\d+)건")
_WHEN = re.compile(r"(\d\d-\d\d \d\d:\d\d)")


@pytest.fixture
async def bot(app: App, clock: FixedClock, fake_telegram: FakeTelegram) -> AsyncIterator[Running]:
    async for running in _running(app, clock, fake_telegram):
        yield running


def total(message: Json) -> int:
    found = _TOTAL.search(message["text"])
    assert found, message["text"]
    return int(found.group(1))


def published(message: Json) -> list[str]:
    """The cards' publication times (MM-DD HH:MM, Seoul), in the order shown."""
    return _WHEN.findall(message["text"])


def labels(message: Json) -> list[str]:
    return [label for label, _ in buttons(message)]


async def press(bot: Running, message: Json, label: str) -> Json:
    """Press the button with this label; the message as the bot edited it."""
    token = next(data for text, data in buttons(message) if text == label)
    before = bot.fake.last_message(READER, message["message_id"])
    bot.fake.press_button(READER, message["message_id"], token, user_id=READER)
    await bot.fake.wait_for(lambda f: f.last_message(READER, message["message_id"]) != before)
    return bot.fake.last_message(READER, message["message_id"])


async def newsbot(app: App, *args: str) -> str:
    """``newsbot ARGS…`` as the newsroom runs it, against the bot's own store."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env["NEWSBOT_DATABASE_URL"] = app.settings.database_url
    process = await asyncio.create_subprocess_exec(
        NEWSBOT, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_ai_finds_the_articles_that_say_인공지능_by_the_default_aliases(
    bot: Running,
) -> None:
    reply = await bot.answer(READER, "/search AI")

    assert total(reply) == 4  # three say AI and 인공지능, one only 인공지능
    assert "R&amp;D 혁신펀드" in reply["text"]
    assert "<b>인공지능</b>" in reply["text"]


async def test_an_alias_the_newsroom_adds_works_on_the_readers_next_search(
    bot: Running, app: App
) -> None:
    before = await bot.answer(READER, "/search 무인기")
    assert before["text"].startswith("<b>‘무인기’에 대한 기사를 찾지 못했습니다.</b>")

    assert await newsbot(app, "search", "aliases", "add", "무인기", "드론") == (
        "무인기 = 드론: added\n"
    )
    after = await bot.answer(READER, "/search 무인기")
    drones = await bot.answer(READER, "/search 드론")

    assert total(after) == total(drones) > 0
    assert "<b>드론</b>" in after["text"]


async def test_a_typo_offers_the_close_word_and_pressing_it_searches_that(
    bot: Running,
) -> None:
    reply = await bot.answer(READER, "/search 드로")

    assert reply["text"].startswith("<b>‘드로’에 대한 기사를 찾지 못했습니다.</b>")
    assert "이것을 찾으셨나요?" in reply["text"]
    assert "🔎 드론" in labels(reply)

    searched = await press(bot, reply, "🔎 드론")

    assert searched["text"].startswith("<b>‘드론’ 검색 결과 ")
    assert "<b>드론</b>" in searched["text"]
    assert len(bot.fake.sent_to(READER)) == 1  # the same message, edited
    assert "드로" not in searched["text"].split("</b>")[0]  # the typed query was not changed


async def test_a_period_and_newest_first_both_stay_as_the_reader_pages_and_sorts(
    bot: Running,
) -> None:
    everything = await bot.answer(READER, "/search 드론")
    week = await bot.answer(READER, "/search 드론 기간:7일")
    assert 0 < total(week) < total(everything)
    assert week["text"].startswith("<b>‘드론’ 검색 결과 ")  # the filter is on its own line
    assert "최근 7일 · 관련도순" in week["text"]
    assert {"✓ 관련도순", "최신순", "전체", "✓ 1주", "1개월"} <= set(labels(week))

    newest = await press(bot, week, "최신순")

    assert total(newest) == total(week)
    assert "최근 7일 · 최신순" in newest["text"]
    assert {"관련도순", "✓ 최신순", "✓ 1주"} <= set(labels(newest))
    times = published(newest)
    assert times == sorted(times, reverse=True) and min(times) >= "11-15 12:00"

    widened = await press(bot, newest, "전체")

    assert total(widened) == total(everything)
    assert "전체 기간 · 최신순" in widened["text"]
    assert published(widened) == sorted(published(widened), reverse=True)
    second = await press(bot, widened, "다음 ▶")
    assert "(2/" in second["text"] and "전체 기간 · 최신순" in second["text"]
    assert max(published(second)) <= min(published(widened))


async def test_a_date_that_makes_no_sense_gets_a_short_answer_in_the_readers_language(
    bot: Running,
) -> None:
    korean = await bot.answer(READER, "/search 드론 이후:2026-13-01")
    english = await bot.answer(READER, "/search 드론 since:2026-13-01", language="en")

    assert korean["text"].startswith("<b>‘이후:2026-13-01’: 알 수 없는 기간이나 정렬입니다.")
    assert english["text"].startswith("<b>‘since:2026-13-01’ is not a period or order I know.")


async def test_a_forged_search_button_is_refused_politely(bot: Running) -> None:
    reply = await bot.answer(READER, "/search 드론")
    bot.fake.press_button(READER, reply["message_id"], "sr:1:1:zz", user_id=READER)

    edited = await bot.fake.wait_for(
        lambda f: "만료" in f.last_message(READER, reply["message_id"])["text"]
    )

    assert edited
