"""The digest message on every platform: exact output, and within each platform's limits
whatever the articles hold (property-tested)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from newsbot.delivery.messages import digest_message
from newsbot.delivery.outcomes import DigestBody, DigestItem
from newsbot.platforms import console, slack_render
from newsbot.platforms.telegram_render import MAX_TEXT, render_message
from tests.unit.test_telegram_render_properties import (
    HUGE,
    LONGEST_LINK,
    MAX_RAW_BYTES,
    QUOTES,
    parse_telegram_html,
    texts,
    urls,
)

SEOUL = ZoneInfo("Asia/Seoul")
MONDAY = date(2026, 12, 7)
ITEMS = (
    DigestItem("성남시 드론 배송 확대", "https://news.example.kr/a/1", "행정", "판교에서 첫 비행"),
    DigestItem("R&D 예산 <확정>", "https://news.example.kr/a/2?x=1&y=2", None, ""),
)


def test_telegram_shows_the_dated_title_and_numbered_linked_items() -> None:
    rendered = render_message(digest_message(DigestBody(MONDAY, ITEMS)), SEOUL, "ko")

    assert rendered == (
        "<b>12월 7일 (월) 가장 많이 본 뉴스</b>\n"
        '1. <a href="https://news.example.kr/a/1">성남시 드론 배송 확대</a> · 행정\n'
        "    판교에서 첫 비행\n"
        '2. <a href="https://news.example.kr/a/2?x=1&amp;y=2">R&amp;D 예산 &lt;확정&gt;</a>'
    )


def test_a_digest_of_the_latest_says_so_and_an_empty_one_says_that() -> None:
    latest = render_message(
        digest_message(DigestBody(MONDAY, ITEMS[:1], fell_back=True)), SEOUL, "en"
    )
    empty = render_message(digest_message(DigestBody(MONDAY, (), weekly=True)), SEOUL, "ko")

    assert latest.splitlines()[:2] == [
        "<b>Most read · Mon, Dec 7</b>",
        "<i>No view counts yet: these are the latest articles.</i>",
    ]
    assert empty == (
        "<b>12월 7일 (월) 이번 주 가장 많이 본 뉴스</b>\n이 기간에 새 기사가 없습니다."
    )


def test_the_console_prints_the_same_digest_as_text() -> None:
    text = console.render(digest_message(DigestBody(MONDAY, ITEMS)), SEOUL, "ko")

    assert text == (
        "12월 7일 (월) 가장 많이 본 뉴스\n"
        "  1. 성남시 드론 배송 확대 · 행정\n"
        "      https://news.example.kr/a/1\n"
        "      판교에서 첫 비행\n"
        "  2. R&D 예산 <확정>\n"
        "      https://news.example.kr/a/2?x=1&y=2"
    )


def test_slack_gets_a_header_and_one_section_per_article() -> None:
    post = slack_render.render_post(digest_message(DigestBody(MONDAY, ITEMS)), SEOUL, "ko")

    assert post.text == "12월 7일 (월) 가장 많이 본 뉴스"
    assert post.blocks == [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": "12월 7일 (월) 가장 많이 본 뉴스",
                "emoji": True,
            },
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": (
                    "1. *<https://news.example.kr/a/1|성남시 드론 배송 확대>* · 행정\n"
                    "판교에서 첫 비행"
                ),
                "verbatim": True,
            },
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "2. *<https://news.example.kr/a/2?x=1&amp;y=2|R&amp;D 예산 &lt;확정&gt;>*",
                "verbatim": True,
            },
        },
    ]


# --- limits, whatever the articles hold -------------------------------------------------------

items = st.builds(DigestItem, title=texts, url=urls, section=st.none() | texts, lead=texts)
bodies = st.builds(
    DigestBody,
    day=st.dates(date(2000, 1, 1), date(2100, 12, 31)),
    items=st.lists(items, max_size=10).map(tuple),
    weekly=st.booleans(),
    fell_back=st.booleans(),
)
languages = st.sampled_from(["ko", "en", "ja"])
WORST = DigestBody(MONDAY, (DigestItem(HUGE, HUGE, HUGE, HUGE),) * 10, fell_back=True)
WORST_LINKED = DigestBody(MONDAY, (DigestItem(QUOTES, LONGEST_LINK, QUOTES, QUOTES),) * 10)


# Fewer than the profile's 200: an example of ten items of kilobytes each takes milliseconds
# to generate, and 150 keep the test near a second.
@settings(max_examples=150)
@given(bodies, languages)
@example(WORST, "ko")
@example(WORST_LINKED, "en")
def test_any_digest_is_telegram_html_within_the_limits(body: DigestBody, language: str) -> None:
    rendered = render_message(digest_message(body), SEOUL, language)

    parsed = parse_telegram_html(rendered)
    assert 1 <= len(parsed.text) <= MAX_TEXT
    assert len(rendered.encode("utf-8")) <= MAX_RAW_BYTES
    assert parsed.text.count("\n") >= len(body.items)  # every item listed, none lost


@settings(max_examples=150)
@given(bodies, languages)
@example(WORST, "ko")
def test_any_digest_is_block_kit_within_the_limits(body: DigestBody, language: str) -> None:
    post = slack_render.render_post(digest_message(body), SEOUL, language)

    assert len(post.blocks) <= slack_render.MAX_BLOCKS
    assert len(post.text) <= slack_render.MAX_TEXT
    header = post.blocks[0]
    assert header["type"] == "header" and 1 <= len(header["text"]["text"]) <= 150
    for block in post.blocks[1:]:
        text = block["text"]["text"] if block["type"] == "section" else block["elements"][0]["text"]
        assert 1 <= len(text) <= slack_render.MAX_SECTION_TEXT
    sections = [b for b in post.blocks if b["type"] == "section"]
    assert len(sections) == len(body.items)
