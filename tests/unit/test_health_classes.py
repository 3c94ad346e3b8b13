"""What /healthz says of an error: a short class, since its listener is public."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError, ProgrammingError

from newsbot.health import platform_error_class, store_error_class


@pytest.mark.parametrize(
    ("reason", "shown"),
    [
        ("", ""),
        ("slack: no answer within 10 s", "timeout"),
        ("Timed out", "timeout"),
        ("httpx.ConnectError: [Errno 111] Connect call failed ('10.1.2.3', 443)", "unreachable"),
        (
            "slack: aiohttp.ClientConnectorError: Cannot connect to host slack.com:443",
            "unreachable",
        ),
        ("Bad Gateway", "server error"),
        ("slack: HTTP 503", "server error"),
        ("invalid token", "error"),
        ("adapter error: KeyError('chat_id')", "error"),
    ],
)
def test_a_platform_error_is_shown_as_its_class(reason: str, shown: str) -> None:
    assert platform_error_class(reason) == shown


def test_a_store_that_cannot_be_reached_is_unreachable_and_anything_else_an_error() -> None:
    refused = OperationalError("SELECT 1", {}, ConnectionRefusedError("10.0.0.5:5432"))
    broken = ProgrammingError("SELECT version_num", {}, Exception("relation does not exist"))

    assert store_error_class(refused) == "unreachable"
    assert store_error_class(broken) == "error"
