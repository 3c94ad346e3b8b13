"""The Slack app manifest: the repository's copy is what `newsbot slack manifest` prints, and
it asks for what the bot uses in either mode."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from newsbot.cli.root import cli
from newsbot.platforms.slack_manifest import manifest

REPO = Path(__file__).resolve().parents[2]


def test_the_repositorys_manifest_is_the_socket_mode_one() -> None:
    assert (REPO / "slack-manifest.yaml").read_text(encoding="utf-8") == manifest()


def test_socket_mode_has_no_urls_and_asks_for_what_the_issue_names() -> None:
    text = manifest()
    assert "socket_mode_enabled: true" in text
    assert "url:" not in text
    for scope in ("chat:write", "commands", "app_mentions:read", "im:history", "users:read"):
        assert f"    - {scope}\n" in text
    for event in ("app_home_opened", "app_mention", "message.im", "member_joined_channel"):
        assert f"    - {event}\n" in text
    assert "  - command: /news\n" in text
    assert "home_tab_enabled: true" in text


def test_http_mode_points_commands_events_and_buttons_at_slack_events() -> None:
    result = CliRunner().invoke(cli, ["slack", "manifest", "--url", "https://news.example.kr/"])

    assert result.exit_code == 0, result.output
    text = result.output
    assert text.count("https://news.example.kr/slack/events") == 4  # comment, 3 request URLs
    assert "    url: https://news.example.kr/slack/events\n" in text
    assert "    request_url: https://news.example.kr/slack/events\n" in text
    assert "socket_mode_enabled: false" in text


def test_a_plain_http_url_is_refused() -> None:
    result = CliRunner().invoke(cli, ["slack", "manifest", "--url", "http://news.example.kr"])
    assert result.exit_code != 0
