"""How the doctor words its checks: one line each, and a check that breaks is a line too."""

from __future__ import annotations

from newsbot.cli.doctor import guarded, line
from newsbot.platforms.probes import Check, failed, passed, skipped
from tests.conftest import make_settings


def test_each_check_is_one_line_with_its_mark_and_a_failure_says_what_to_do() -> None:
    assert line(passed("store", "schema 0011e, the newest")) == "✓ store: schema 0011e, the newest"
    assert line(skipped("slack token", "no Slack")) == "– slack token: no Slack"
    assert line(failed("time zone", "Mars/Base is not a known zone", "set NEWSBOT_TIMEZONE")) == (
        "✗ time zone: Mars/Base is not a known zone → set NEWSBOT_TIMEZONE"
    )


async def test_a_check_that_breaks_fails_its_own_lines_without_showing_a_token() -> None:
    settings = make_settings("sqlite:///x.db", telegram_token="123:SECRET-token")

    async def broken() -> list[Check]:
        raise RuntimeError("GET https://api.telegram.org/bot123:SECRET-token/getMe went wrong")

    checks = await guarded(settings, ("telegram token", "telegram webhook"), broken())

    assert [line(c) for c in checks] == [
        "✗ telegram token: the check itself broke: RuntimeError: GET "
        "https://api.telegram.org/bot***/getMe went wrong → a newsbot bug: please report it",
        "– telegram webhook: after telegram token",
    ]
