"""Where `newsbot run` would listen for HTTP, which is the address `newsbot doctor` checks."""

from __future__ import annotations

from typing import Any

import pytest

from newsbot.bot import DEFAULT_HTTP_LISTEN, http_listen_address
from tests.conftest import make_settings


@pytest.mark.parametrize(
    ("settings", "address"),
    [
        ({}, None),
        ({"http_listen": "0.0.0.0:9000"}, "0.0.0.0:9000"),
        (
            {
                "telegram_token": "1:x",
                "telegram_webhook_url": "https://news.example.kr/hook",
                "telegram_webhook_secret": "s",
            },
            "0.0.0.0:8443",
        ),
        ({"slack_bot_token": "xoxb-1", "slack_signing_secret": "s"}, DEFAULT_HTTP_LISTEN),
        (
            {"slack_bot_token": "xoxb-1", "slack_signing_secret": "s", "slack_app_token": "xapp-1"},
            None,
        ),
    ],
)
def test_the_address_checked_is_the_one_newsbot_run_would_listen_on(
    settings: dict[str, Any], address: str | None
) -> None:
    assert http_listen_address(make_settings("sqlite:///x.db", **settings)) == address
