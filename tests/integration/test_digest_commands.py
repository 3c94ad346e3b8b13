"""The digest from a chat: /digest answers with it now, /settings sets it by buttons and by
typed forms in Korean and English, and a bad value is explained in the reader's language."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from handlers.commands import build_router
from handlers.router import Router
from newsbot.app import App
from newsbot.clock import FixedClock
from newsbot.store.delivery_models import Chat
from tests.digest_helpers import EIGHT_KST, articles_with_views
from tests.integration.test_chat_handlers import (
    FakeDirectory,
    answer,
    context_of,
    press,
    say,
)

VIEWS = [5, 90, 40, 70, 10, 80, 60, 30, 20, 50]


@pytest.fixture
async def router(app: App, clock: FixedClock) -> AsyncIterator[Router]:
    clock.set(EIGHT_KST - timedelta(hours=1))
    yield build_router(context_of(app, clock, FakeDirectory()))


async def chat_row(app: App, chat: str = "c1") -> Chat:
    async with app.sessions() as session:
        found = await session.scalar(select(Chat).where(Chat.platform_chat_id == chat))
        assert found is not None
        return found


async def test_digest_answers_with_the_chats_digest_now(router: Router, app: App) -> None:
    ids = await articles_with_views(app, VIEWS, published=EIGHT_KST - timedelta(hours=20))
    await answer(router, say("settings", "브리핑개수", "3"))

    reply = await answer(router, say("digest"))

    assert reply.header == "12월 7일 (월) 가장 많이 본 뉴스"
    ranked = [i for _, i in sorted(zip(VIEWS, ids, strict=True), reverse=True)][:3]
    assert [c.url for c in reply.cards] == [
        f"https://news.example.kr/a/d{ids.index(i)}" for i in ranked
    ]
    assert [c.rank for c in reply.cards] == [1, 2, 3]
    assert reply.cards[0].snippet == "기사 1의 첫 줄입니다. 두 번째 문장."


async def test_digest_with_nothing_to_list_says_so(router: Router) -> None:
    reply = await answer(router, say("digest", locale="en"))

    assert reply.notice in {"이 기간에 새 기사가 없습니다.", "No new articles in this period."}
    assert reply.cards == ()


async def test_typed_digest_settings_in_korean_and_english(router: Router, app: App) -> None:
    await answer(router, say("settings", "브리핑", "켜기"))
    await answer(router, say("settings", "브리핑개수", "5건"))
    await answer(router, say("settings", "브리핑주기", "목요일"))
    await answer(router, say("settings", "digest-scope", "all"))
    shown = await answer(router, say("settings", "digest-note", "on"))

    chat = await chat_row(app)
    assert (chat.digest_time, chat.digest_size, chat.digest_weekday) == (8 * 60, 5, 3)
    assert (chat.digest_scope, chat.digest_empty_note) == ("all", True)
    assert "브리핑: 08:00 · 5건 · 매주 목요일(지난 7일) · 신문 전체 · 빈 날 알림 켬" in shown.notice
    # Thursday 10 December 08:00 in Seoul: the next weekly digest.
    assert chat.digest_next_at == EIGHT_KST + timedelta(days=3)

    await answer(router, say("settings", "digest", "off"))
    assert (await chat_row(app)).digest_next_at is None


@pytest.mark.parametrize(
    ("args", "locale", "expected"),
    [
        (("브리핑개수", "20"), "ko", "브리핑 기사 수는 1~10 사이의 숫자로 적어 주세요 (‘20’)."),
        (("digest-size", "many"), "en", "The digest size is a number from 1 to 10 (got ‘many’)."),
        (("브리핑주기", "가끔"), "ko", "브리핑 주기는 ‘매일’ 또는 요일(예: 월요일)로 적어 주세요"
         " (‘가끔’)."),
        (("digest-scope", "mine!"), "en", "The digest scope is ‘all’ or ‘subscriptions’"
         " (got ‘mine!’)."),
        (("빈날알림", "글쎄"), "ko", "빈 날 알림은 ‘켜기’ 또는 ‘끄기’로 적어 주세요 (‘글쎄’)."),
    ],
)  # fmt: skip
async def test_a_bad_digest_setting_is_explained_and_nothing_changes(
    router: Router, app: App, args: tuple[str, ...], locale: str, expected: str
) -> None:
    await answer(router, say("settings", "digest", "07:00", locale=locale))  # a chat in it

    reply = await answer(router, say("settings", *args, locale=locale))

    assert reply.header == expected
    chat = await chat_row(app)
    assert (chat.digest_size, chat.digest_weekday, chat.digest_scope) == (7, None, "subscriptions")
    assert chat.digest_empty_note is False


async def test_digest_buttons_change_size_period_scope_and_note(router: Router, app: App) -> None:
    shown = await answer(router, say("settings"))
    tokens = {b.token for b in shown.buttons}
    assert {"set:dn:5", "set:dn:10", "set:dw:0", "set:ds:all", "set:de:on"} <= tokens

    for token in ("set:d:480", "set:dn:10", "set:dw:0", "set:ds:all", "set:de:on"):
        reply = await router.press(press(token))
        assert reply is not None and reply.toast == "저장했습니다."

    chat = await chat_row(app)
    assert (chat.digest_time, chat.digest_size, chat.digest_weekday) == (480, 10, 0)
    assert (chat.digest_scope, chat.digest_empty_note) == ("all", True)
    stale = await router.press(press("set:dn:99"))
    assert stale is not None and stale.toast == "지난 버튼입니다. 다시 시도해 주세요."
