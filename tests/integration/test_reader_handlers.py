"""Reader commands as any platform sees them: a Command in, a Reply out, no network."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from handlers.commands import build_router
from handlers.context import HandlerContext
from handlers.reader import PAGE_SIZE
from handlers.router import Router
from newsbot.app import App
from newsbot.clock import FixedClock
from newsbot.conversation import MAX_TOKEN_BYTES, Button, ButtonPress, Command, Reply
from newsbot.ingest.importer import Format, import_articles
from newsbot.ingest.view_counts import import_views
from newsbot.text.analyzer import default_analyzer
from tests.conftest import SAMPLES

NOON_KST = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


@pytest.fixture
async def reader(app: App, clock: FixedClock) -> AsyncIterator[Router]:
    clock.set(NOON_KST)
    await import_articles(
        app.sessions,
        SAMPLES / "articles.ndjson",
        fmt=Format.NDJSON,
        zone=app.settings.zone,
        clock=clock,
    )
    await import_views(app.sessions, SAMPLES / "views.csv")
    yield build_router(HandlerContext(app.sessions, default_analyzer(), clock, app.settings.zone))


def paging(reply: Reply) -> list[str]:
    """The labels of a search reply's paging buttons (its first row)."""
    return [b.label for b in reply.buttons if b.row == 0]


def command(name: str, *args: str, locale: str = "ko") -> Command:
    return Command(platform="test", chat_id="c1", user_id="u1", name=name, args=args, locale=locale)


async def test_search_answers_with_numbered_cards_and_marked_words(
    reader: Router,
) -> None:
    reply = await reader.command(command("search", "성남시는"))

    assert reply is not None
    assert reply.header.startswith("‘성남시는’ 검색 결과 ")
    assert [card.rank for card in reply.cards] == list(range(1, PAGE_SIZE + 1))
    for card in reply.cards:
        marked = [card.title[s:e] for s, e in card.title_marks]
        marked += [card.snippet[s:e] for s, e in card.snippet_marks]
        assert "성남시" in marked


async def test_search_pages_through_results_with_small_tokens(reader: Router) -> None:
    first = await reader.command(command("search", "성남시"))
    assert first is not None and paging(first) == ["다음 ▶"]

    second = await reader.press(ButtonPress("test", "c1", "u1", first.buttons[0].token))

    assert second is not None and second.edit
    assert second.cards[0].rank == PAGE_SIZE + 1
    assert {c.url for c in first.cards}.isdisjoint({c.url for c in second.cards})
    assert paging(second) == ["◀ 이전", "다음 ▶"]
    for button in (*first.buttons, *second.buttons):
        assert len(button.token.encode()) <= MAX_TOKEN_BYTES


async def test_a_very_long_korean_query_still_gets_a_short_token(reader: Router) -> None:
    reply = await reader.command(command("search", *(["성남시"] + ["드론"] * 60)))

    assert reply is not None
    for button in reply.buttons:
        assert len(button.token.encode()) <= MAX_TOKEN_BYTES


async def test_an_unknown_or_broken_token_says_the_results_expired(
    reader: Router,
) -> None:
    for token in ("sr:zzzzzz:2", "sr:??:x"):
        reply = await reader.press(ButtonPress("test", "c1", "u1", token, locale="en"))
        assert reply is not None
        assert reply.header == "These search results have expired. Please search again."

    other = await reader.press(ButtonPress("test", "c1", "u1", "other:1", locale="en"))
    assert other == Reply(toast="That button has expired. Please try again.")


async def test_search_without_words_explains_how_in_the_readers_language(
    reader: Router,
) -> None:
    korean = await reader.command(command("search"))
    english = await reader.command(command("search", locale="en-US"))

    assert korean is not None and korean.header.startswith("검색어를 함께 보내 주세요")
    assert english is not None and english.header.startswith("Send a search term")


async def test_nothing_found_is_a_short_answer(reader: Router) -> None:
    reply = await reader.command(command("search", "존재하지않는단어"))

    assert reply is not None
    assert reply.header == "‘존재하지않는단어’에 대한 기사를 찾지 못했습니다."
    assert reply.cards == () and reply.buttons == ()


async def test_a_period_that_finds_nothing_offers_to_widen_it(reader: Router) -> None:
    today = await reader.command(command("search", "드론", "기간:오늘"))
    assert today is not None and today.header.startswith("‘드론’에 대한 기사를 찾지")
    assert today.notice.startswith("오늘 · 관련도순\n")
    assert [b.label for b in today.buttons] == ["전체", "1주", "1개월"]

    widened = await reader.press(ButtonPress("test", "c1", "u1", today.buttons[0].token))

    assert widened is not None and widened.edit and widened.cards
    assert widened.notice == "전체 기간 · 관련도순"
    assert "✓ 전체" in [b.label for b in widened.buttons]


async def test_search_says_when_it_fell_back_to_any_word(reader: Router) -> None:
    reply = await reader.command(command("search", "드론", "존재하지않는단어"))

    assert reply is not None and reply.cards
    assert reply.notice.startswith("모든 단어가 들어간 기사가 없어")


async def test_top_lists_the_days_most_viewed_with_views(reader: Router) -> None:
    reply = await reader.command(command("top", "3", "week"))

    assert reply is not None
    assert reply.header == "가장 많이 본 뉴스 (최근 7일)"
    assert [card.rank for card in reply.cards] == [1, 2, 3]
    assert reply.cards[0].views == 12_467
    assert reply.cards[0].title.startswith("성남FC, K리그2 최종전")


async def test_top_without_views_in_the_window_falls_back_and_says_so(
    reader: Router, clock: FixedClock
) -> None:
    clock.set(datetime(2027, 3, 1, tzinfo=UTC))

    reply = await reader.command(command("top", locale="en"))

    assert reply is not None
    assert reply.notice == "No views recorded for today: showing the latest articles."
    assert all(card.views is None for card in reply.cards)


@pytest.mark.parametrize("args", [("0",), ("abc",), ("3", "4"), ("week", "day")])
async def test_top_with_bad_arguments_shows_its_usage(
    reader: Router, args: tuple[str, ...]
) -> None:
    reply = await reader.command(command("top", *args))

    assert reply is not None and reply.header.startswith("사용법: /top")


async def test_latest_lists_the_newest_first(reader: Router) -> None:
    reply = await reader.command(command("latest", "3"))

    assert reply is not None
    assert reply.header == "최신 뉴스"
    assert reply.cards[0].title.startswith("성남FC, 플레이오프 1차전")
    assert reply.cards[0].published == "11월 22일"  # a date, not "… ago", past a day or ahead
    assert all(card.compact and not card.snippet for card in reply.cards)


async def test_lists_are_one_line_an_article_with_leads_on_request(
    reader: Router, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 11, 22, 9, 40, tzinfo=UTC))  # 18:40 KST, an hour after the newest

    short = await reader.command(command("latest", "2"))
    full = await reader.command(command("latest", "2", "요약"))

    assert short is not None and full is not None
    assert short.cards[0].published == "1시간 전"
    assert short.cards[0].compact and short.cards[0].snippet == ""
    assert not full.cards[0].compact and full.cards[0].snippet


async def test_asking_for_more_than_ten_gives_ten_and_says_so(reader: Router) -> None:
    reply = await reader.command(command("top", "20", "week"))

    assert reply is not None and len(reply.cards) == 10
    assert reply.notice == "한 번에 10개까지 보여 드립니다."


async def test_a_day_without_views_yet_widens_to_the_week_and_says_so(
    reader: Router, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 11, 23, 3, 0, tzinfo=UTC))  # noon the day after the last views

    widened = await reader.command(command("top"))
    asked_for_today = await reader.command(command("top", "day"))

    assert widened is not None and widened.header == "가장 많이 본 뉴스 (최근 7일)"
    assert widened.notice == "오늘은 아직 조회 기록이 없어 최근 7일 기준으로 보여 드립니다."
    assert widened.cards[0].views
    assert asked_for_today is not None and asked_for_today.cards[0].views is None


async def test_a_command_nobody_registered_gets_a_hint(reader: Router) -> None:
    reply = await reader.command(command("nosuchcommand", "x"))

    assert reply == Reply(header="모르는 명령어입니다. /help 를 보내 보세요.")


def test_a_button_token_over_64_bytes_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="1-64 bytes"):
        Button("다음", "sr:" + "가" * 30)
