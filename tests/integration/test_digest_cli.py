"""`newsbot digest preview|send` and the digests `newsbot stats` counts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, timedelta

import pytest

from newsbot.app import App, open_app
from newsbot.clock import FixedClock, SystemClock
from tests.conftest import make_settings
from tests.digest_helpers import EIGHT_KST, articles_with_views, digest_chat, tick
from tests.helpers import run_cli

VIEWS = [5, 90, 40]


@pytest.fixture
def store(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", database_url)
    # The commands read the system clock: 08:00 in Seoul on Monday 7 December 2026.
    monkeypatch.setattr(SystemClock, "now", lambda _self: EIGHT_KST.astimezone(UTC))
    return database_url


def arrange(store: str, clock: FixedClock, work: Callable[[App], Awaitable[object]]) -> None:
    """Put data in the store as the tests' clock says, before a command runs (the command
    runs its own event loop, so the arranging is done in one of its own)."""

    async def run() -> None:
        async with open_app(make_settings(store), clock=clock) as app:
            await work(app)

    asyncio.run(run())


def test_preview_prints_a_chats_digest_of_a_date(
    store: str, clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    async def work(app: App) -> None:
        clock.set(EIGHT_KST - timedelta(hours=1))
        await articles_with_views(app, VIEWS, published=EIGHT_KST - timedelta(hours=20))
        await digest_chat(app, "desk", platform="console", size=2)

    arrange(store, clock, work)

    code, out, err = run_cli(
        capsys, "digest", "preview", "--chat", "console:desk", "--date", "2026-12-07"
    )

    assert (code, err) == (0, "")
    assert out.splitlines()[:3] == [
        "12월 7일 (월) 가장 많이 본 뉴스",
        "  1. 기사 1",
        "      https://news.example.kr/a/d1",
    ]
    assert "  2. 기사 2" in out.splitlines()
    assert "기사 0" not in out


def test_preview_of_an_unknown_chat_says_so(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "digest", "preview", "--chat", "console:nobody")

    assert code == 2
    assert "no chat console:nobody" in err


def test_send_queues_todays_digest_once_and_sends_it(
    store: str, clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    async def work(app: App) -> None:
        await digest_chat(app, "desk", platform="console", empty_note=True)

    arrange(store, clock, work)

    first = run_cli(capsys, "digest", "send", "--chat", "console:desk")
    second = run_cli(capsys, "digest", "send", "--chat", "console:desk")

    assert first[0] == 0 and "console:desk: digest queued; sent 1" in first[1]
    assert "가장 많이 본 뉴스" in first[1]  # the console platform printed it
    assert second[:2] == (0, "console:desk has had today's digest already\n")


def test_stats_count_digests_dropped_as_too_late(
    store: str, clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    async def work(app: App) -> None:
        clock.set(EIGHT_KST - timedelta(hours=1))
        await digest_chat(app, "late", platform="console")
        clock.set(EIGHT_KST + timedelta(hours=5))
        assert (await tick(app)).dropped == 1

    arrange(store, clock, work)

    code, out, _ = run_cli(capsys, "stats", "--json")
    text = run_cli(capsys, "stats")[1]

    assert code == 0
    data = json.loads(out)
    assert data["digests_dropped_total"] == 1
    assert "dropped as too late, ever: 1" in text
