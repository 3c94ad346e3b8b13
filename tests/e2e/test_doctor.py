"""`newsbot doctor` as an operator runs it: a real process asking the fake Telegram and Slack.

Each test starts from an installation where everything is right and breaks one thing; the
doctor must name it on its own ✗ line, with what to do, and exit 1, while every other line
stays ✓.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsbot.platforms.web import HttpServer, Listen
from tests.fakes.slack_api import TOKEN as SLACK_TOKEN
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_api import fake_slack_fixture as fake_slack_fixture  # fixture fake_slack
from tests.fakes.telegram_api import TOKEN as TELEGRAM_TOKEN
from tests.fakes.telegram_api import FakeTelegram
from tests.processes import NEWSBOT

WEBHOOK = "https://news.example.kr/telegram"
CHECKS = [
    "settings",
    "store",
    "telegram token",
    "telegram webhook",
    "slack token",
    "slack scopes",
    "http listen",
    "korean analyzer",
    "time zone",
]


@pytest.fixture
def free_address() -> Iterator[str]:
    """A loopback address nothing listens on (the port is released before the doctor runs)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    yield f"127.0.0.1:{port}"


@pytest.fixture
def installation(
    tmp_path: Path, fake_telegram: FakeTelegram, fake_slack: FakeSlack, free_address: str
) -> dict[str, str]:
    """Settings with which every check passes: both platforms, Slack readers in HTTP mode."""
    return {
        "NEWSBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'newsbot.db'}",
        "NEWSBOT_TELEGRAM_TOKEN": TELEGRAM_TOKEN,
        "NEWSBOT_TELEGRAM_API_URL": fake_telegram.api_url,
        "NEWSBOT_SLACK_BOT_TOKEN": SLACK_TOKEN,
        "NEWSBOT_SLACK_SIGNING_SECRET": "signing-secret",
        "NEWSBOT_SLACK_API_URL": fake_slack.api_url,
        "NEWSBOT_HTTP_LISTEN": free_address,
    }


async def doctor(cwd: Path, settings: dict[str, str], *argv: str) -> tuple[int, list[str], str]:
    """`newsbot doctor ARGV…` with exactly ``settings``: (exit status, lines, stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")} | settings
    process = await asyncio.create_subprocess_exec(
        NEWSBOT,
        "doctor",
        *argv,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=90)
    assert process.returncode is not None
    return process.returncode, out.decode().splitlines(), err.decode()


def by_name(lines: list[str]) -> dict[str, str]:
    """Each check's line without its name: {"store": "✓ …", …} (the summary line left out)."""
    found = {}
    for text in lines[:-1]:
        mark, rest = text.split(" ", 1)
        name, detail = rest.split(": ", 1)
        found[name] = f"{mark} {detail}"
    return found


def failing(lines: list[str]) -> dict[str, str]:
    return {name: text for name, text in by_name(lines).items() if text.startswith("✗")}


async def test_a_ready_installation_passes_every_check_and_exits_0(
    tmp_path: Path, installation: dict[str, str], free_address: str
) -> None:
    (tmp_path / "newsbot.db").touch()  # an old store: the next command migrates it
    code, lines, err = await doctor(tmp_path, installation)

    assert code == 0, (lines, err)
    assert list(by_name(lines)) == CHECKS
    assert all(text.startswith("✓") for text in by_name(lines).values()), lines
    assert by_name(lines)["telegram token"] == "✓ @newsbot_bot (bot id 123456)"
    assert by_name(lines)["telegram webhook"] == (
        "✓ none set: long polling (getUpdates) can read updates"
    )
    assert by_name(lines)["slack token"] == "✓ team Newsroom as newsbot"
    assert by_name(lines)["slack scopes"] == "✓ every scope delivery and readers' commands needs"
    assert by_name(lines)["http listen"] == f"✓ {free_address} is free"
    assert lines[-1] == "9 passed, 0 failed, 0 skipped"


async def test_a_token_telegram_refuses_is_one_failed_line_with_the_fix_and_exit_1(
    tmp_path: Path, installation: dict[str, str], fake_telegram: FakeTelegram
) -> None:
    code, lines, err = await doctor(
        tmp_path, installation | {"NEWSBOT_TELEGRAM_TOKEN": "123456:WRONG-token"}
    )

    assert code == 1, err
    host = f"127.0.0.1:{fake_telegram.port}"
    assert failing(lines) == {
        "telegram token": f"✗ {host} refused NEWSBOT_TELEGRAM_TOKEN (401 Unauthorized) → copy "
        "the bot's token from @BotFather (/mybots → API Token) into NEWSBOT_TELEGRAM_TOKEN"
    }
    assert by_name(lines)["telegram webhook"] == "– needs a token Telegram accepts"
    assert "WRONG-token" not in "\n".join(lines) + err
    assert [r.method for r in fake_telegram.requests] == ["getMe"]


async def test_a_token_slack_refuses_is_one_failed_line_and_exit_1(
    tmp_path: Path, installation: dict[str, str], fake_slack: FakeSlack
) -> None:
    code, lines, err = await doctor(tmp_path, installation | {"NEWSBOT_SLACK_BOT_TOKEN": "xoxb-x"})

    assert code == 1, err
    assert failing(lines) == {
        "slack token": f"✗ 127.0.0.1:{fake_slack.port} refused NEWSBOT_SLACK_BOT_TOKEN: "
        "invalid_auth → copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & "
        "Permissions page into NEWSBOT_SLACK_BOT_TOKEN"
    }
    assert by_name(lines)["slack scopes"] == "– needs a token Slack accepts"


async def test_a_scope_the_app_was_not_granted_is_named(
    tmp_path: Path, installation: dict[str, str], fake_slack: FakeSlack
) -> None:
    fake_slack.scopes.remove("users:read")
    fake_slack.scopes.remove("commands")

    code, lines, _ = await doctor(tmp_path, installation)

    assert code == 1
    assert list(failing(lines)) == ["slack scopes"]
    assert failing(lines)["slack scopes"].startswith(
        "✗ missing commands, users:read (needed for delivery and readers' commands) → "
    )


async def test_a_bot_that_only_delivers_to_slack_needs_only_chat_write(
    tmp_path: Path, installation: dict[str, str], fake_slack: FakeSlack
) -> None:
    fake_slack.scopes = ["chat:write"]
    delivering = {k: v for k, v in installation.items() if k != "NEWSBOT_SLACK_SIGNING_SECRET"}

    code, lines, _ = await doctor(tmp_path, delivering)

    assert code == 0, lines
    assert by_name(lines)["slack scopes"] == "✓ every scope delivery needs"


async def test_a_webhook_other_than_the_configured_one_fails(
    tmp_path: Path, installation: dict[str, str], fake_telegram: FakeTelegram
) -> None:
    fake_telegram.webhook_url = "https://staging.example.kr/telegram"
    configured = installation | {
        "NEWSBOT_TELEGRAM_WEBHOOK_URL": WEBHOOK,
        "NEWSBOT_TELEGRAM_WEBHOOK_SECRET": "s3cret",
    }

    code, lines, _ = await doctor(tmp_path, configured)

    assert code == 1
    assert list(failing(lines)) == ["telegram webhook"]
    assert failing(lines)["telegram webhook"].startswith(
        f"✗ Telegram posts updates to https://staging.example.kr/telegram, not to "
        f"NEWSBOT_TELEGRAM_WEBHOOK_URL ({WEBHOOK}) → another deployment may be using this token"
    )


async def test_the_configured_webhook_passes_and_one_not_set_yet_is_left_to_newsbot_run(
    tmp_path: Path, installation: dict[str, str], fake_telegram: FakeTelegram
) -> None:
    configured = installation | {
        "NEWSBOT_TELEGRAM_WEBHOOK_URL": WEBHOOK,
        "NEWSBOT_TELEGRAM_WEBHOOK_SECRET": "s3cret",
    }

    before = await doctor(tmp_path, configured)
    fake_telegram.webhook_url = WEBHOOK
    after = await doctor(tmp_path, configured)

    assert before[0] == after[0] == 0
    assert by_name(before[1])["telegram webhook"] == (
        f"✓ not set yet: `newsbot run` sets it to {WEBHOOK} at start"
    )
    assert by_name(after[1])["telegram webhook"] == f"✓ Telegram posts updates to {WEBHOOK}"


async def test_a_webhook_left_set_while_the_bot_polls_fails_and_says_how_to_fix_it(
    tmp_path: Path, installation: dict[str, str], fake_telegram: FakeTelegram
) -> None:
    fake_telegram.webhook_url = "https://old.example.kr/hook"

    code, lines, _ = await doctor(tmp_path, installation)

    assert code == 1
    assert failing(lines) == {
        "telegram webhook": "✗ a webhook is set (https://old.example.kr/hook, 0 updates "
        "waiting) but NEWSBOT_TELEGRAM_WEBHOOK_URL is not: Telegram refuses getUpdates (long "
        "polling) while it is set → to keep the webhook, set "
        "NEWSBOT_TELEGRAM_WEBHOOK_URL=https://old.example.kr/hook; if no other deployment uses "
        "this token, `newsbot run` deletes the webhook when it starts polling"
    }


async def test_an_http_address_something_else_holds_fails(
    tmp_path: Path, installation: dict[str, str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]

        code, lines, _ = await doctor(
            tmp_path, installation | {"NEWSBOT_HTTP_LISTEN": f"127.0.0.1:{port}"}
        )

    assert code == 1
    assert failing(lines) == {
        "http listen": f"✗ cannot listen on 127.0.0.1:{port}: Address already in use → stop "
        f"what holds port {port} (`ss -ltnp 'sport = :{port}'` shows it) or choose another "
        "NEWSBOT_HTTP_LISTEN"
    }


async def test_a_worker_listen_address_on_run_s_port_fails_before_anything_is_started(
    tmp_path: Path, installation: dict[str, str], free_address: str
) -> None:
    port = free_address.rsplit(":", 1)[1]
    worker = f"0.0.0.0:{port}"  # every interface: the port `newsbot run` takes on loopback

    code, lines, _ = await doctor(tmp_path, installation | {"NEWSBOT_WORKER_HTTP_LISTEN": worker})
    _, own_port, _ = await doctor(
        tmp_path, installation | {"NEWSBOT_WORKER_HTTP_LISTEN": "127.0.0.1:0"}
    )

    assert code == 1
    assert failing(lines) == {
        "http listen": f"✗ NEWSBOT_WORKER_HTTP_LISTEN={worker} is the port `newsbot run` listens "
        f"on ({free_address}): a worker on this host could not start beside it → give workers "
        "a port of their own (or port 0 for any free one)"
    }
    assert by_name(own_port)["http listen"] == f"✓ {free_address} is free"


async def test_without_tokens_the_platform_checks_are_skipped_not_failed(
    tmp_path: Path,
) -> None:
    code, lines, _ = await doctor(tmp_path, {})

    assert code == 0
    assert {name: text[0] for name, text in by_name(lines).items()} == {
        "settings": "✓",
        "store": "✓",
        "telegram token": "–",
        "telegram webhook": "–",
        "slack token": "–",
        "slack scopes": "–",
        "http listen": "–",
        "korean analyzer": "✓",
        "time zone": "✓",
    }
    assert not (tmp_path / "newsbot.db").exists()  # the doctor looks; it creates nothing


async def test_settings_that_do_not_parse_are_reported_by_the_doctor_with_exit_2(
    tmp_path: Path,
) -> None:
    code, lines, err = await doctor(tmp_path, {"NEWSBOT_TIMEZONE": "Mars/Base"})

    assert code == 2
    assert lines[0].startswith("✗ settings: NEWSBOT_TIMEZONE='Mars/Base': ")
    assert lines[1] == "– everything else: needs settings that parse"
    assert "Traceback" not in err


async def test_json_output_carries_every_check_and_the_verdict(
    tmp_path: Path, installation: dict[str, str]
) -> None:
    code, lines, _ = await doctor(
        tmp_path, installation | {"NEWSBOT_TELEGRAM_TOKEN": "123456:WRONG"}, "--json"
    )
    report = json.loads("\n".join(lines))

    assert code == 1
    assert report["ok"] is False
    assert [c["name"] for c in report["checks"]] == CHECKS
    assert {c["name"]: c["status"] for c in report["checks"]}["telegram token"] == "failed"


async def test_the_http_address_of_a_running_newsbot_is_no_failure(
    tmp_path: Path, installation: dict[str, str]
) -> None:
    server = HttpServer(Listen("127.0.0.1", 0))
    await server.start()
    try:
        address = f"127.0.0.1:{server.port}"
        code, lines, _ = await doctor(tmp_path, installation | {"NEWSBOT_HTTP_LISTEN": address})
    finally:
        await server.stop()

    assert code == 0, lines
    assert by_name(lines)["http listen"] == f"✓ {address} is in use by a running newsbot (/healthz)"


async def test_a_platform_slower_than_the_timeout_fails_and_the_other_checks_still_report(
    tmp_path: Path, installation: dict[str, str], fake_slack: FakeSlack
) -> None:
    fake_slack.slow, fake_slack.slow_seconds = 1, 5.0

    code, lines, _ = await doctor(tmp_path, installation, "--timeout", "1")

    assert code == 1
    assert failing(lines) == {
        "slack token": f"✗ no answer from 127.0.0.1:{fake_slack.port} within 1 s → check the "
        "network, or NEWSBOT_SLACK_API_URL"
    }
    assert by_name(lines)["telegram token"].startswith("✓")
