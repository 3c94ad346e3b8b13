"""Two real `newsbot run` processes on one PostgreSQL store at the digest minute: the chat
gets its digest once, from whichever leads, and still once after that leader is killed and
the other takes over (its first tick, on taking the lead, finds the day's digest written).

The processes run on the real clock, so the chat's digest is made due by its schedule row
(``digest_next_at``) rather than by waiting for a minute; what each process did is read
from its log (APScheduler reports every run of the tick).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from newsbot.app import App, open_app
from newsbot.store.delivery_models import Chat
from tests.conftest import make_settings
from tests.digest_helpers import SEOUL, articles_with_views, digest_chat, digest_deliveries
from tests.e2e.test_leader_failover import TAKEOVER_BOUND, Bot, environment, wait_for
from tests.fakes.telegram_api import FakeTelegram

CHAT = "5002"
TICK_RAN = "enqueue due digests"  # the job's name, in APScheduler's "executed successfully"
TITLE_END = "가장 많이 본 뉴스</b>"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize(
        "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
    ),
]


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[App]:
    async with open_app(make_settings(database_url)) as app:
        yield app


def digests(fake: FakeTelegram) -> list[str]:
    return [r["text"] for r in fake.delivered(CHAT) if TITLE_END in r.get("text", "")]


def ticks_after_leading(bot: Bot) -> int:
    lines = bot.log
    led = next((n for n, line in enumerate(lines) if "this process leads" in line), None)
    if led is None:
        return 0
    return sum(TICK_RAN in line and "executed successfully" in line for line in lines[led:])


async def test_two_processes_send_the_digest_once_and_a_takeover_does_not_send_it_again(
    store: App, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    now = store.clock.now()
    await articles_with_views(
        store, [30, 10, 20], published=now - timedelta(hours=2), day=now.astimezone(SEOUL).date()
    )
    chat_id = await digest_chat(store, CHAT, platform="telegram", at="08:00")
    async with store.sessions() as session:  # its minute has just come
        chat = await session.get(Chat, chat_id)
        assert chat is not None
        chat.digest_next_at = now - timedelta(seconds=1)
        await session.commit()

    bots: list[Bot] = []
    try:
        for name in ("a", "b"):
            bots.append(
                await Bot.start(
                    name, environment(store.settings.database_url, fake_telegram, name), tmp_path
                )
            )
        await wait_for(lambda: len(digests(fake_telegram)) >= 1, 60, bots)
        [leader] = [b for b in bots if b.leading_since is not None]
        follower = next(b for b in bots if b is not leader)
        assert ticks_after_leading(leader) >= 1

        await leader.kill()
        await wait_for(lambda: ticks_after_leading(follower) >= 1, TAKEOVER_BOUND, bots)
        assert await follower.stop() == 0
    finally:
        for bot in bots:
            if bot.process.returncode is None:
                bot.process.kill()
            await bot.stop()

    [digest] = digests(fake_telegram)
    assert digest.count('<a href="') == 3
    assert len(await digest_deliveries(store, chat_id)) == 1
