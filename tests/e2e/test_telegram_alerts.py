"""Operators' alerts over the fake Bot API: a Telegram outage that comes and goes under a
429 storm tells the alert chat a bounded number of times, and every alert queued arrives.

The real python-telegram-bot client speaks HTTP to the fake on loopback; the dispatcher,
the breaker and the alerts share one pacer and one breaker, as in ``newsbot run``. Time is
the test's: the store's clock and the breaker's and pacer's monotonic clock move together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from newsbot.alerts.watch import Alerts, alerts_for
from newsbot.app import App
from newsbot.clock import FixedClock
from newsbot.config import load_settings
from newsbot.delivery.breaker import Breaker
from newsbot.delivery.dispatcher import Dispatcher, DispatchSettings
from newsbot.delivery.pacing import Limits, Pacer
from newsbot.platforms.telegram import TelegramPlatform
from newsbot.store.alerts import AlertEvent, AlertMessage
from newsbot.store.delivery_models import Delivery, DeliveryState
from tests.builders import ALL_NEWS, add_chat, draft, publish
from tests.fakes.telegram_api import TOKEN, FakeTelegram
from tests.fakes.telegram_api.entities import parsed

ALERT_CHAT = "-1009999"
PER_HOUR = 3
OUTAGES = 5  # more than the hourly cap lets start
CHATS = [str(7000 + n) for n in range(30)]
FAST = Limits(overall_per_second=10_000, per_chat_per_second=10_000, per_group_per_minute=1e6)


class Time:
    """The store's clock and the monotonic clock of the breaker and the pacer, as one."""

    def __init__(self, clock: FixedClock) -> None:
        self.clock, self.now = clock, 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.clock.advance(seconds=seconds)

    async def sleep(self, seconds: float) -> None:
        self.advance(seconds)


class Bot:
    def __init__(self, app: App, telegram: TelegramPlatform, time: Time) -> None:
        settings = load_settings(
            _env_file=None,
            telegram_token=TOKEN,
            alert_chat=f"telegram:{ALERT_CHAT}",
            alert_per_hour=PER_HOUR,
            alert_language="en",
        )
        pacers = {"telegram": Pacer(FAST, monotonic=time)}
        self.breaker = Breaker("telegram", monotonic=time)
        self.dispatcher = Dispatcher(
            app.sessions,
            {"telegram": telegram},
            app.clock,
            DispatchSettings(owner="e2e:1", concurrency=8),
            pacers=pacers,
            breakers={"telegram": self.breaker},
            sleep=time.sleep,
        )
        alerts = alerts_for(
            settings,
            app.sessions,
            app.clock,
            platforms={"telegram": telegram},
            pacers=pacers,
            breakers={"telegram": self.breaker},
            process="e2e:1",
        )
        assert alerts is not None and alerts.sender is not None
        alerts.sender.sleep = time.sleep
        self.alerts: Alerts = alerts
        self.opened = 0
        self.breaker.listener = self.heard  # as newsbot.service wires it
        self.time = time

    def heard(self, platform: str, down: bool, error: str) -> None:
        self.opened += down
        self.alerts.platform_changed(platform, down, error)

    async def run(self, seconds: float, *, step: float = 5) -> None:
        """``seconds`` of the bot's life, ``step`` at a time: dispatch, alerts, and the
        leader's checks once a minute."""
        since_check = 60.0
        for _ in range(int(seconds // step)):
            await self.dispatcher.run_once()
            await self.alerts.step()
            if since_check >= 60:
                await self.alerts.check()
                since_check = 0
            self.time.advance(step)
            since_check += step


@pytest.fixture
async def telegram(fake_telegram: FakeTelegram) -> AsyncIterator[TelegramPlatform]:
    platform = TelegramPlatform(TOKEN, api_url=fake_telegram.api_url, limits=FAST)
    await platform.start()
    yield platform
    await platform.stop()


async def test_outages_under_a_429_storm_send_a_bounded_few_alerts_and_lose_none(
    app: App, clock: FixedClock, fake_telegram: FakeTelegram, telegram: TelegramPlatform
) -> None:
    for chat in CHATS:
        await add_chat(app, chat, ALL_NEWS, platform="telegram")
    bot = Bot(app, telegram, Time(clock))

    for outage in range(OUTAGES):  # Telegram goes down and comes back, five times an hour
        fake_telegram.down, fake_telegram.flood_every = True, 0
        await publish(app, draft(outage + 1, f"속보 {outage + 1}", published_at=clock.now()))
        await bot.run(seconds=3 * 60)
        # Back, in a 429 storm: a third of all sends, alerts' too, are told to wait.
        fake_telegram.down, fake_telegram.flood_every = False, 3
        await bot.run(seconds=9 * 60)
    await bot.run(seconds=70 * 60, step=30)  # the storm goes on; the cap's hour passes

    alerts = fake_telegram.delivered(ALERT_CHAT)
    async with app.sessions() as session:
        queued = Counter(await session.scalars(select(AlertMessage.event)))
        unsent = await session.scalar(select(AlertMessage.id).where(AlertMessage.sent_at.is_(None)))
        deliveries = Counter(await session.scalars(select(Delivery.state)))
    assert bot.opened == OUTAGES  # the breaker saw every outage
    # Starts held to the hourly cap, a resolution for each one announced, nothing else: no
    # failure-rate alert, since a 429 is a wait, not a failure.
    assert queued == {AlertEvent.STARTED: PER_HOUR, AlertEvent.RESOLVED: PER_HOUR}
    assert unsent is None  # none lost: every alert queued reached the alert chat, once
    assert len(alerts) == 2 * PER_HOUR
    assert [a["text"].split()[0] for a in alerts] == ["🔴", "✅"] * PER_HOUR
    assert alerts[0]["text"].startswith("🔴 telegram: sending stopped (")
    # …and the newsroom's headlines all went, each once, through the same outages.
    assert deliveries == {DeliveryState.SENT: OUTAGES * len(CHATS)}
    received = Counter(
        r["chat_id"] for r in fake_telegram.delivered() if r["chat_id"] != ALERT_CHAT
    )
    assert received == dict.fromkeys(CHATS, OUTAGES)


async def test_alerts_whose_text_looks_like_markup_or_runs_long_arrive_as_written(
    app: App, clock: FixedClock, fake_telegram: FakeTelegram, telegram: TelegramPlatform
) -> None:
    bot = Bot(app, telegram, Time(clock))
    # An error naming <lambda> and a title with "M&A": HTML that Telegram cannot parse, if
    # sent as HTML unescaped. A 5,000-character error: over Telegram's 4,096.
    bot.alerts.platform_changed("slack", True, "TypeError in <lambda> for M&A <b>")
    bot.alerts.platform_changed("console", True, "x" * 5000)
    bot.alerts.platform_changed("slack", False, "")
    await bot.run(seconds=10)

    shown = [parsed(a["text"]) for a in fake_telegram.delivered(ALERT_CHAT)]
    assert len(shown) == 3  # none refused, none waiting behind a refused one
    assert "(TypeError in <lambda> for M&A <b>)" in shown[0]
    assert shown[1].startswith("✅ Resolved after 0 min: slack: sending stopped (TypeError in")
    assert len(shown[2]) == 4096 and shown[2].endswith("x…")
    async with app.sessions() as session:
        unsent = await session.scalar(select(AlertMessage.id).where(AlertMessage.sent_at.is_(None)))
    assert unsent is None
