"""An editor's breaking news when processes die: real `newsbot run`/`worker` processes, the
fake Bot API, the editor's progress message edited by whoever is alive.

The editor's exchange happens in this process, through the same Router the bot builds (a
Telegram press carrying the id of the preview message); the fan-out and the progress
message are then the processes' business: one killed with SIGKILL mid fan-out, the restart
finishes both; on PostgreSQL a leader and a worker share them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import signal
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsbot.app import App
from newsbot.bot import Overrides, build_bot
from newsbot.clock import FixedClock
from newsbot.conversation import ButtonPress, Command
from newsbot.platforms.telegram import TelegramPlatform
from newsbot.roles import Role
from newsbot.store.staff import appoint
from tests.bulk import add_chats_taking_all_news
from tests.conftest import make_settings
from tests.e2e.test_crash_and_workers import IN_FLIGHT, environment, kill_leftovers, wait_for
from tests.fakes.telegram_api import TOKEN, FakeTelegram
from tests.processes import start, stop

EDITOR = 6161


async def press_send(app: App, fake: FakeTelegram, count: int) -> tuple[list[str], int]:
    """``count`` readers, and an editor's breaking news sent to them from a preview the bot
    showed in the editor's chat; returns the readers and the preview's message id. The
    processes read the system clock: so does the press, or its news would be stale to them."""
    assert isinstance(app.clock, FixedClock)
    app.clock.set(datetime.now(UTC))
    now = app.clock.now()
    chats = [str(200_000 + n) for n in range(count)]
    async with app.sessions() as session:
        await add_chats_taking_all_news(session, "telegram", chats, now=now)
        await appoint(session, "telegram", str(EDITOR), Role.EDITOR, now=now)
        await session.commit()
    settings = make_settings(app.settings.database_url, telegram_token=TOKEN)
    platform = TelegramPlatform(TOKEN, api_url=fake.api_url)
    bot = build_bot(
        dataclasses.replace(app, settings=settings),
        readers=False,
        overrides=Overrides(platforms={"telegram": platform}),
    )
    text = "/breaking 정전 | 시 전역 정전"
    command = Command("telegram", str(EDITOR), str(EDITOR), "breaking", tuple(text.split()[1:]))
    preview = await bot.router.command(dataclasses.replace(command, raw_text=text))
    assert preview is not None and preview.buttons
    await platform.start()
    try:
        shown = await platform.bot.send_message(EDITOR, "미리보기")
    finally:
        await platform.stop()
    (send,) = [b.token for b in preview.buttons if b.token.startswith("ed:send:")]
    press = ButtonPress(
        "telegram", str(EDITOR), str(EDITOR), send, message_id=str(shown.message_id)
    )
    answer = await bot.router.press(press)
    assert answer is not None and answer.edit
    return chats, shown.message_id


def summary(fake: FakeTelegram, message_id: int) -> str:
    return str(fake.last_message(EDITOR, message_id)["text"])


@pytest.mark.slow
async def test_a_run_killed_mid_breaking_news_is_finished_by_its_restart_summary_and_all(
    app: App, fake_telegram: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    chats, message_id = await press_send(app, fake_telegram, 3000)
    env = environment(database_url, fake_telegram) | {"NEWSBOT_TELEGRAM_OVERALL_PER_SECOND": "300"}
    processes = []
    try:
        processes.append(first := await start("run", env, tmp_path))
        await wait_for(
            lambda: (
                len(fake_telegram.delivered()) > 900
                and "보내는 중" in summary(fake_telegram, message_id)
            ),
            60,
        )
        first.send_signal(signal.SIGKILL)
        await first.wait()
        at_kill = len(fake_telegram.delivered())
        processes.append(second := await start("run", env, tmp_path))
        await wait_for(lambda: "완료" in summary(fake_telegram, message_id), 120)
        err = await stop(second)
    finally:
        await kill_leftovers(processes)

    received = Counter(
        r["chat_id"] for r in fake_telegram.delivered() if r["chat_id"] != str(EDITOR)
    )
    print(f"\nkill -9 after {at_kill} sends: {sum(received.values()) - len(chats)} duplicates")
    assert 900 < at_kill < len(chats)  # it died mid fan-out, progress shown
    assert set(received) == set(chats)
    assert sum(received.values()) - len(chats) <= IN_FLIGHT
    assert "3000곳 중 3000곳 전달, 실패 0" in summary(fake_telegram, message_id)
    assert b"Traceback" not in err


@pytest.mark.slow
@pytest.mark.postgres
async def test_a_leader_and_a_worker_on_postgresql_send_breaking_news_once_with_one_summary(
    app: App, fake_telegram: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    if app.engine.dialect.name != "postgresql":
        pytest.skip("several processes need PostgreSQL")
    chats, message_id = await press_send(app, fake_telegram, 3000)
    env = environment(database_url, fake_telegram)
    processes = [await start("run", env, tmp_path), await start("worker", env, tmp_path)]
    try:
        await wait_for(lambda: "완료" in summary(fake_telegram, message_id), 120)
        await asyncio.sleep(4)  # a second summary edit, if any, would come now
        errors = [await stop(p) for p in processes]
    finally:
        await kill_leftovers(processes)

    received = Counter(
        r["chat_id"] for r in fake_telegram.delivered() if r["chat_id"] != str(EDITOR)
    )
    assert set(received) == set(chats) and max(received.values()) == 1
    assert "3000곳 중 3000곳 전달, 실패 0" in summary(fake_telegram, message_id)
    finals = [e for e in fake_telegram.calls("editMessageText") if "완료" in e.get("text", "")]
    assert len(finals) == 1  # one process wrote the summary
    assert all(p.returncode == 0 for p in processes), errors
