"""Operators' alerts from a real `newsbot run`: what `newsbot.service` wires (the breaker's
and the store watch's signals, the leader's minute, the send loop) tells the alert chat on
the fake Bot API, on the real clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsbot.app import App
from newsbot.clock import FixedClock
from tests.e2e.test_crash_and_workers import database_outage, environment, fan_out_to, wait_for
from tests.fakes.telegram_api import FakeTelegram
from tests.processes import start, stop

ALERT_CHAT = "-1009999"


@pytest.fixture(autouse=True)
def on_the_real_clock(clock: FixedClock) -> None:
    clock.set(datetime.now(UTC))


def alerts_in(fake: FakeTelegram) -> list[str]:
    return [r["text"] for r in fake.delivered(ALERT_CHAT)]


@pytest.mark.slow
async def test_a_telegram_outage_is_told_once_when_telegram_is_back_and_once_resolved(
    app: App, fake_telegram: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    fake_telegram.down = True
    chats = await fan_out_to(app, 20)
    env = environment(database_url, fake_telegram) | {
        "NEWSBOT_ALERT_CHAT": f"telegram:{ALERT_CHAT}",
        "NEWSBOT_ALERT_LANGUAGE": "en",
    }

    bot = await start("run", env, tmp_path)
    await wait_for(lambda: len(fake_telegram.calls("sendMessage")) >= 3, 30)
    await asyncio.sleep(3)  # the outage goes on: the alert waits with the headlines
    assert alerts_in(fake_telegram) == []
    fake_telegram.down = False
    await wait_for(lambda: len(alerts_in(fake_telegram)) >= 2, 60)
    await wait_for(lambda: set(chats) <= {r["chat_id"] for r in fake_telegram.delivered()}, 60)
    await asyncio.sleep(2)  # time for any alert more to show
    err = (await stop(bot)).decode()

    started, resolved = alerts_in(fake_telegram)
    assert started.startswith("🔴 telegram: sending stopped (Bad Gateway)")
    assert resolved.startswith("✅ Resolved after 0 min: telegram: sending stopped")
    assert "Traceback" not in err


@pytest.mark.slow
@pytest.mark.postgres
async def test_the_store_going_away_is_told_once_it_is_back(
    app: App, fake_telegram: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("a PostgreSQL server restart")
    env = environment(database_url, fake_telegram) | {
        "NEWSBOT_ALERT_CHAT": f"telegram:{ALERT_CHAT}",
        "NEWSBOT_ALERT_LANGUAGE": "en",
        "NEWSBOT_ALERT_STORE_AFTER": "1s",  # the outage below is 3 s
    }
    await app.engine.dispose()

    bot = await start("run", env, tmp_path)
    await asyncio.sleep(3)  # running and leading
    await asyncio.to_thread(database_outage, database_url, 3.0)
    await wait_for(lambda: len(alerts_in(fake_telegram)) >= 2, 60)
    await asyncio.sleep(2)
    err = (await stop(bot)).decode()

    started, resolved = alerts_in(fake_telegram)
    assert started.startswith("🔴 The store (database) was unreachable from ")
    assert resolved.startswith("✅ Resolved after 0 min: The store (database) was unreachable")
    assert "Traceback" not in err
