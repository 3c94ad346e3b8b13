"""The "while you were away" message as each platform shows it, exactly, and within limits."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from newsbot.delivery.outcomes import AWAY, Headline, Outgoing, Recipient
from newsbot.platforms.console import render
from newsbot.platforms.telegram import previews
from newsbot.platforms.telegram_render import MAX_TEXT, render_message

SEOUL = ZoneInfo("Asia/Seoul")
AWAY_MESSAGE = Outgoing(
    kind=AWAY,
    title="성남시 <드론> & 교통",
    url="https://n.kr/3?a=1&b=2",
    lead="첫 비행",
    section="행정",
    published_at=datetime(2026, 11, 23, 21, 30, tzinfo=UTC),
    also=(
        Headline("둘째 소식", "https://n.kr/2", None, datetime(2026, 11, 23, 16, 0, tzinfo=UTC)),
    ),
    more=3,
)


def test_telegram_lists_the_held_headlines_newest_first_and_counts_the_rest() -> None:
    assert render_message(AWAY_MESSAGE, SEOUL, "ko") == (
        "<b>🌙 자리를 비운 사이 들어온 뉴스 5건</b>\n"
        '• <a href="https://n.kr/3?a=1&amp;b=2">성남시 &lt;드론&gt; &amp; 교통</a>\n'
        "   행정 · 11-24 06:30\n"
        '• <a href="https://n.kr/2">둘째 소식</a>\n'
        "   11-24 01:00\n"
        "…외 3건"
    )


def test_telegram_words_it_in_the_chats_language() -> None:
    rendered = render_message(AWAY_MESSAGE, SEOUL, "en")

    assert rendered.startswith("<b>🌙 While you were away: 5 headlines</b>\n")
    assert rendered.endswith("\n…and 3 more")


def test_no_away_message_exceeds_telegrams_limit() -> None:
    huge = Headline(
        "<&>" * 5000, "https://x.kr/" + "a" * 500, "행정" * 500, AWAY_MESSAGE.published_at
    )
    message = Outgoing(
        kind=AWAY,
        title=huge.title,
        url=huge.url,
        lead="\u200b🙂" * 8000,
        section=huge.section,
        published_at=huge.published_at,
        also=(huge,) * 60,
        more=10**9,
    )

    rendered = render_message(message, SEOUL, "ko")

    visible = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    assert len(visible) <= MAX_TEXT
    assert visible.endswith("…외 1000000051건")


def test_the_console_prints_the_same_list() -> None:
    assert render(AWAY_MESSAGE, SEOUL, "ko") == (
        "🌙 자리를 비운 사이 들어온 뉴스 5건\n"
        "  • 성남시 <드론> & 교통\n"
        "      행정 · 11-24 06:30  https://n.kr/3?a=1&b=2\n"
        "  • 둘째 소식\n"
        "      11-24 01:00  https://n.kr/2\n"
        "  …외 3건"
    )


def test_link_previews_follow_the_chat_but_never_for_corrections_or_lists() -> None:
    shown = Recipient("1", "private", "ko", "Asia/Seoul")
    hidden = Recipient("1", "private", "ko", "Asia/Seoul", link_previews=False)
    headline = Outgoing(
        kind="headline",
        title="t",
        url="https://n.kr/1",
        lead="",
        section=None,
        published_at=AWAY_MESSAGE.published_at,
    )
    correction = replace(headline, kind="correction")

    assert (previews(shown, headline), previews(hidden, headline)) == (True, False)
    assert (previews(shown, correction), previews(shown, AWAY_MESSAGE)) == (False, False)
