"""A pushed breaking alert or correction is marked once, in the chat's language."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from newsbot.delivery.outcomes import Outgoing
from newsbot.platforms.console import render
from newsbot.platforms.labels import labelled
from newsbot.platforms.slack_render import render_post
from newsbot.platforms.telegram_render import render_message

SEOUL = ZoneInfo("Asia/Seoul")


def breaking(title: str) -> Outgoing:
    return Outgoing(
        "breaking", title, "https://n.kr/1", "", "행정", datetime(2026, 12, 6, 3, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    "title", ["[속보] 성남시청 정전", "【속보】성남시청 정전", "<속보> 성남시청 정전"]
)
def test_a_title_that_carries_the_mark_loses_its_copy(title: str) -> None:
    assert labelled("breaking", title, "ko") == ("🔴 속보", "성남시청 정전")


def test_headlines_carry_no_label_and_keep_their_title() -> None:
    assert labelled("headline", "[속보] 그대로", "ko") == (None, "[속보] 그대로")


def test_every_platform_shows_the_mark_once_in_the_chats_language() -> None:
    message = breaking("[속보] 성남시청 정전")

    telegram = render_message(message, SEOUL, "en")
    slack = render_post(message, SEOUL, "ko").blocks[0]["text"]["text"]
    console = render(message, SEOUL, "ko")

    assert telegram.startswith("🔴 Breaking · 행정") and "[속보]" not in telegram
    assert slack.count("속보") == 1 and "🔴 속보" in slack
    assert console.startswith("🔴 속보 성남시청 정전")


def test_a_breaking_story_sent_as_a_headline_keeps_its_mark() -> None:
    assert labelled("headline", "[속보] 지난 속보", "ko", is_breaking=True) == (
        "🔴 속보",
        "지난 속보",
    )
