"""An operator's plain text (an alert) as each platform is sent it: escaped for the
platform so nothing in it is markup, cut to the platform's limit, and the chat paced as the
kind of chat its id says."""

from __future__ import annotations

import html

from newsbot.platforms import slack_render, telegram_render
from newsbot.platforms.slack import chat_kind as slack_kind
from newsbot.platforms.telegram import chat_kind as telegram_kind


def test_telegram_is_sent_the_text_escaped_so_it_shows_as_written() -> None:
    text = "🔴 feed M&A <속보> failing (TypeError in <lambda>)\nsince 09:00"

    assert telegram_render.plain(text) == (
        "🔴 feed M&amp;A &lt;속보&gt; failing (TypeError in &lt;lambda&gt;)\nsince 09:00"
    )


def test_telegram_text_over_the_limit_is_cut_to_4096_characters_as_shown() -> None:
    sent = telegram_render.plain("&" * 5000)

    shown = html.unescape(sent)
    assert len(shown) == 4096 and shown.endswith("&…")
    assert len(sent.encode()) <= 32_768  # the limit before parsing, too


def test_slack_is_sent_the_text_escaped_so_it_pings_no_one_and_links_nowhere() -> None:
    text = "feed <!channel> <https://evil.example|click> & co\nsince 09:00"

    assert slack_render.plain(text) == (
        "feed &lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; co\nsince 09:00"
    )


def test_slack_text_over_the_limit_is_cut_by_its_escaped_length() -> None:
    sent = slack_render.plain("<" * 5000)

    assert len(sent) <= slack_render.MAX_PLAIN and sent.endswith("&lt;…")


def test_the_alert_chat_is_paced_as_the_kind_of_chat_its_id_says() -> None:
    assert telegram_kind("-1001234") == "supergroup"  # 20 a minute
    assert telegram_kind("12345") == "private"
    assert slack_kind("C0123") == "slack_channel"
    assert slack_kind("D0123") == "slack_dm"
