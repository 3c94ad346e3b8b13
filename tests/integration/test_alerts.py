"""Operators' alerts against a real store (SQLite and PostgreSQL): what the alert chat is
told over an outage, across check runs, processes and restarts, and how a queued message
survives a platform that rate-limits or is down.

Each ``Alerts`` below is one process (or one life of a process: a restart is a new one);
they share only the store. Time moves when the test moves it.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.alerts import checks, ledger
from newsbot.alerts.model import Rules
from newsbot.alerts.sender import AlertSender
from newsbot.alerts.watch import Alerts
from newsbot.app import App
from newsbot.clock import FixedClock
from newsbot.delivery.breaker import Breaker
from newsbot.delivery.dispatcher import DispatchSettings
from newsbot.delivery.outbox import deactivate_chat
from newsbot.delivery.outcomes import (
    ChatGone,
    Outcome,
    PermanentFailure,
    RateLimited,
    Sent,
    Transient,
)
from newsbot.delivery.pacing import Limits, Pacer
from newsbot.ingest.fetch import make_client
from newsbot.ingest.poller import PollSettings, poll_due_feeds
from newsbot.service import Service
from newsbot.store.alerts import AlertEvent, AlertMessage
from newsbot.store.delivery_models import Chat, Delivery, DeliveryState
from newsbot.store.feeds import record_failure
from newsbot.store.models import Feed
from tests.builders import ALL_NEWS, add_chat, add_feed, draft, publish
from tests.fakes.feed_server import FeedServer
from tests.fakes.platform import RecordingPlatform

ALERT_CHAT = "-100999"
FAST = Limits(overall_per_second=10_000, per_chat_per_second=10_000, per_group_per_minute=1e6)
RSS = (
    '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>연합</title>'
    "<item><title>첫눈</title><link>https://news.example.kr/a/1</link>"
    "<guid>n-1</guid><pubDate>Mon, 23 Nov 2026 09:05:00 +0900</pubDate></item>"
    "</channel></rss>"
).encode()


class ScriptedNotices(RecordingPlatform):
    """The in-memory platform, answering alert messages as scripted for the chat."""

    async def edit_notice(self, chat_id: str, message_id: str | None, text: str) -> Outcome:
        script = self.scripts.get(chat_id)
        if script:
            outcome = script.popleft()
            if not isinstance(outcome, Exception) and not isinstance(outcome, Sent):
                return outcome
        return await super().edit_notice(chat_id, message_id, text)


class Monotonic:
    """The breaker's and the pacer's clock, moved with the test's."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def process(
    app: App,
    name: str = "host:1",
    *,
    rules: Rules | None = None,
    platform: RecordingPlatform | None = None,
    breaker: Breaker | None = None,
    monotonic: Monotonic | None = None,
) -> Alerts:
    monotonic = monotonic or Monotonic()
    sender = None
    if platform is not None:
        sender = AlertSender(
            app.sessions,
            platform,
            "telegram",
            ALERT_CHAT,
            app.clock,
            Pacer(FAST, monotonic=monotonic),
            breaker or Breaker("telegram", monotonic=monotonic),
            locale="en",
        )
    return Alerts(app.sessions, app.clock, rules or Rules(), name, sender)


async def said(app: App) -> list[tuple[str, AlertEvent]]:
    """Every message queued for the alert chat: (key, event), oldest first."""
    async with app.sessions() as session:
        rows = await session.execute(
            select(AlertMessage.key, AlertMessage.event).order_by(AlertMessage.id)
        )
        return [(key, event) for key, event in rows]


async def unsent(app: App) -> int:
    async with app.sessions() as session:
        rows = await session.scalars(select(AlertMessage.id).where(AlertMessage.sent_at.is_(None)))
        return len(rows.all())


# --- a feed outage over hours of checks ----------------------------------------------------


async def test_an_hour_long_feed_outage_says_started_repeated_and_resolved_once_each(
    app: App, clock: FixedClock, feed_server: FeedServer
) -> None:
    feed_server.add("/rss.xml", b"down for maintenance", status=503, content_type="text/plain")
    await add_feed(app, feed_server.url("/rss.xml"), interval=60)
    poll = PollSettings(max_bytes=100_000, max_backoff=300, concurrency=1)
    alerts = process(app)
    async with make_client(timeout=2.0, user_agent="newsbot-test") as client:
        history = []
        for minute in range(200):  # the feed fails for 150 minutes, then serves again
            if minute == 150:
                feed_server.add("/rss.xml", RSS)
            await poll_due_feeds(app.sessions, client, clock, poll)
            await alerts.check()
            history.append(len(await said(app)))
            clock.advance(minutes=1)

    assert await said(app) == [
        ("feed:1", AlertEvent.STARTED),
        ("feed:1", AlertEvent.REPEATED),
        ("feed:1", AlertEvent.RESOLVED),
    ]
    assert history.index(1) == 60  # an hour after the first failure, not before
    assert history.index(2) == 120  # NEWSBOT_ALERT_REPEAT (1 h) later
    assert 150 < history.index(3) <= 156  # the first success after it (backoff ≤ 5 min)


async def test_a_feed_that_recovers_within_the_hour_is_never_mentioned(
    app: App, clock: FixedClock
) -> None:
    feed_id = await add_feed(app, "https://news.example.kr/rss")
    alerts = process(app)
    for _ in range(59):
        async with app.sessions() as session:
            feed = await session.get(Feed, feed_id)
            assert feed is not None
            record_failure(feed, now=clock.now(), reason="503", status=503, max_backoff=60)
            await session.commit()
        await alerts.check()
        clock.advance(minutes=1)

    assert await said(app) == []


# --- dedupe across processes and restarts --------------------------------------------------


async def test_processes_and_restarts_that_see_one_outage_say_it_once(
    app: App, clock: FixedClock
) -> None:
    first, second = process(app, "host:1"), process(app, "host:2")
    for alerts in (first, second, process(app, "host:1")):  # the last one: host:1 restarted
        alerts.platform_changed("telegram", down=True, error="502 Bad Gateway")
        await alerts.flush()
        clock.advance(minutes=5)
    second.platform_changed("telegram", down=False, error="")
    await second.flush()
    first.platform_changed("telegram", down=False, error="")  # its breaker closes too
    await first.flush()

    assert await said(app) == [
        ("platform:telegram", AlertEvent.STARTED),
        ("platform:telegram", AlertEvent.RESOLVED),
    ]


async def test_a_platform_down_in_two_processes_ends_when_the_last_one_recovers(
    app: App, clock: FixedClock
) -> None:
    first, second = process(app, "host:1"), process(app, "host:2")
    for alerts in (first, second):
        alerts.platform_changed("telegram", down=True, error="502 Bad Gateway")
        await alerts.step()
    first.platform_changed("telegram", down=False, error="")  # host:1's breaker closes…
    await first.step()
    for _ in range(3):  # …host:2's stays open a while, and says so every minute
        clock.advance(minutes=1)
        await first.step()
        await second.step()
    assert await said(app) == [("platform:telegram", AlertEvent.STARTED)]
    second.platform_changed("telegram", down=False, error="")
    await second.step()

    assert await said(app) == [
        ("platform:telegram", AlertEvent.STARTED),
        ("platform:telegram", AlertEvent.RESOLVED),
    ]


async def test_the_store_outage_is_told_when_it_is_back_once_for_all_processes(
    app: App, clock: FixedClock
) -> None:
    first, second = process(app, "host:1"), process(app, "host:2")
    first.store_changed(away=True, error="connection refused")
    clock.advance(seconds=30)
    second.store_changed(away=True, error="connection refused")
    clock.advance(minutes=4)
    for alerts in (first, second):
        alerts.store_changed(away=False, error="")
        await alerts.flush()
    assert await said(app) == []  # not yet: it may go away again and be the same outage
    clock.advance(seconds=30)  # NEWSBOT_ALERT_STORE_AFTER
    for alerts in (first, second):
        await alerts.flush()

    assert await said(app) == [("store", AlertEvent.STARTED), ("store", AlertEvent.RESOLVED)]
    async with app.sessions() as session:
        resolved = await session.scalar(
            select(AlertMessage.params).where(AlertMessage.event == AlertEvent.RESOLVED)
        )
    assert json.loads(resolved or "{}")["minutes"] == 4  # from the first to notice


async def test_a_store_that_flips_away_and_back_every_second_for_a_minute_is_one_outage(
    app: App, clock: FixedClock
) -> None:
    alerts = process(app, rules=Rules(per_hour=20))
    for _ in range(30):  # a SQLite lock held past the busy timeout, as the loops see it
        alerts.store_changed(away=True, error="database is locked")
        clock.advance(seconds=1)
        alerts.store_changed(away=False, error="")
        await alerts.flush()
        clock.advance(seconds=1)
    for _ in range(60):
        await alerts.flush()
        clock.advance(seconds=1)

    assert await said(app) == [("store", AlertEvent.STARTED), ("store", AlertEvent.RESOLVED)]
    async with app.sessions() as session:
        resolved = await session.scalar(
            select(AlertMessage.params).where(AlertMessage.event == AlertEvent.RESOLVED)
        )
    assert json.loads(resolved or "{}")["minutes"] == 1  # 59 s, from the first to the last


async def test_a_store_away_for_less_than_the_setting_is_only_logged(
    app: App, clock: FixedClock
) -> None:
    alerts = process(app)
    alerts.store_changed(away=True, error="database is locked")
    clock.advance(seconds=10)
    alerts.store_changed(away=False, error="")
    for _ in range(120):
        await alerts.flush()
        clock.advance(seconds=1)

    assert await said(app) == []


async def test_outages_told_by_two_processes_a_few_seconds_apart_are_one(
    app: App, clock: FixedClock
) -> None:
    first, second = process(app, "host:1"), process(app, "host:2")
    first.store_changed(away=True, error="connection refused")
    clock.advance(minutes=2)
    first.store_changed(away=False, error="")
    clock.advance(seconds=10)
    second.store_changed(away=True, error="connection refused")  # host:2: it went again
    clock.advance(seconds=20)
    second.store_changed(away=False, error="")
    clock.advance(seconds=30)
    for alerts in (first, second):
        await alerts.flush()

    assert await said(app) == [("store", AlertEvent.STARTED), ("store", AlertEvent.RESOLVED)]


async def test_a_breaker_flapping_while_the_store_is_away_is_told_as_it_ends(
    app: App, clock: FixedClock
) -> None:
    alerts = process(app)
    for _ in range(500):  # none of these can be written yet
        alerts.platform_changed("telegram", down=True, error="502")
        alerts.platform_changed("telegram", down=False, error="")
    await alerts.flush()

    assert await said(app) == [
        ("platform:telegram", AlertEvent.STARTED),
        ("platform:telegram", AlertEvent.RESOLVED),
    ]


async def test_a_new_leader_is_one_notice(app: App, clock: FixedClock) -> None:
    await process(app, "host:1").check()  # the store's first leader: not news
    await process(app, "host:1").check()
    await process(app, "host:2").check()  # host:1 died; host:2 leads
    await process(app, "host:2").check()

    assert await said(app) == [("leader", AlertEvent.NOTICE)]


# --- the hourly cap ------------------------------------------------------------------------


async def test_the_hourly_cap_holds_a_storm_to_a_handful_and_lets_the_rest_through_later(
    app: App, clock: FixedClock
) -> None:
    rules = Rules(per_hour=5, feed_after=timedelta(minutes=1))
    for n in range(30):
        await add_feed(app, f"https://news.example.kr/{n}.xml")
    async with app.sessions() as session:
        for feed in await session.scalars(select(Feed)):
            record_failure(feed, now=clock.now(), reason="503", status=503, max_backoff=60)
        await session.commit()
    alerts = process(app, rules=rules)
    for _ in range(59):
        clock.advance(minutes=1)
        await alerts.check()
    assert Counter(event for _, event in await said(app)) == {AlertEvent.STARTED: 5}

    clock.advance(minutes=2)  # the first hour's messages leave the window
    await alerts.check()
    async with app.sessions() as session:  # every feed serves again
        await session.execute(update(Feed).values(state="active", failing_since=None))
        await session.commit()
    await alerts.check()

    events = Counter(event for _, event in await said(app))
    # Five more starts in the new hour; a resolution for each of the ten announced, none for
    # the twenty never announced.
    assert events == {AlertEvent.STARTED: 10, AlertEvent.RESOLVED: 10}


# --- what the store-derived checks read ----------------------------------------------------


async def test_failures_over_the_rate_and_chats_gone_in_bulk_alert_until_they_pass(
    app: App, clock: FixedClock
) -> None:
    for n in range(25):
        await add_chat(app, str(5000 + n), ALL_NEWS, platform="telegram")
    await publish(app, draft(1, "첫눈", published_at=clock.now()))
    async with app.sessions() as session:
        ids = list(await session.scalars(select(Delivery.id).order_by(Delivery.id)))
        assert len(ids) == 25
        now = clock.now()
        await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids[:19]))
            .values(state=DeliveryState.SENT, sent_at=now)
        )
        await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids[19:]))
            .values(state=DeliveryState.FAILED, due_at=now)
        )
        for chat_id in await session.scalars(select(Chat.id).limit(20)):
            await deactivate_chat(session, chat_id, reason="bot was blocked", now=now)
        await session.commit()
    alerts = process(app)

    await alerts.check()
    clock.advance(minutes=16)  # past both windows
    await alerts.check()

    assert sorted(await said(app)) == [
        ("chats_gone", AlertEvent.RESOLVED),
        ("chats_gone", AlertEvent.STARTED),
        ("failure_rate:telegram", AlertEvent.RESOLVED),
        ("failure_rate:telegram", AlertEvent.STARTED),
    ]


async def test_a_digest_left_past_its_time_is_a_missed_tick(app: App, clock: FixedClock) -> None:
    chat_id = await add_chat(app, "6001", ALL_NEWS, platform="telegram")
    alerts = process(app)
    await alerts.check()  # this leader watches from now
    async with app.sessions() as session:
        await session.execute(
            update(Chat)
            .where(Chat.id == chat_id)
            .values(digest_time=8 * 60, digest_next_at=clock.now())
        )
        await session.commit()
    for _ in range(6):
        clock.advance(minutes=1)
        await alerts.check()  # the digest tick is not running: nothing moves it on

    assert await said(app) == [("digest_late", AlertEvent.STARTED)]


async def waits_for_the_lock_or_is_done(session: AsyncSession, task: asyncio.Task[object]) -> None:
    """Until ``task`` waits for an advisory lock, or has finished without one."""
    waiting = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
    while not task.done():
        if await session.scalar(waiting):
            return
        await asyncio.sleep(0.01)


async def test_two_processes_raising_at_once_keep_to_the_hourly_cap(
    app: App, clock: FixedClock, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: its transactions cannot interleave")
    rules, now = Rules(per_hour=1), clock.now()
    async with app.sessions() as first, app.sessions() as second, app.sessions() as looking:
        told = await ledger.raise_alert(first, checks.platform_down("slack", "503"), now, rules)
        assert len(told) == 1  # the hour's one message, not committed yet
        other: asyncio.Task[object] = asyncio.create_task(
            ledger.raise_alert(second, checks.platform_down("cms", "503"), now, rules)
        )
        await waits_for_the_lock_or_is_done(looking, other)
        await first.commit()
        assert await other == []  # it counted the first's message: the cap is reached
        await second.commit()

    assert await said(app) == [("platform:slack", AlertEvent.STARTED)]


# --- sending: never lost, in order ---------------------------------------------------------


async def test_a_429_and_a_5xx_delay_alert_messages_in_order_and_lose_none(
    app: App, clock: FixedClock
) -> None:
    platform = ScriptedNotices(name="telegram")
    platform.answer(ALERT_CHAT, RateLimited(30), Transient("502 Bad Gateway"))
    monotonic = Monotonic()
    alerts = process(app, platform=platform, monotonic=monotonic)

    def wait(seconds: float) -> None:
        clock.advance(seconds=seconds)
        monotonic.now += seconds

    alerts.platform_changed("slack", down=True, error="503")
    alerts.platform_changed("slack", down=False, error="")

    assert await alerts.step()  # queued both; the first was told to wait 30 s
    assert platform.notices == []
    wait(29)
    await alerts.step()
    assert platform.notices == []
    wait(1)
    await alerts.step()  # a 502: backoff
    wait(60)
    await alerts.step()

    assert [text for _, _, text in platform.notices] == [
        "🔴 slack: sending stopped (503); messages wait and go when it is back",
        "✅ Resolved after 0 min: slack: sending stopped (503); messages wait and go when it "
        "is back",
    ]
    assert await unsent(app) == 0


async def test_a_message_the_platform_refuses_for_good_is_settled_and_the_next_ones_go(
    app: App, clock: FixedClock
) -> None:
    platform = ScriptedNotices(name="telegram")
    platform.answer(ALERT_CHAT, PermanentFailure("Bad Request: message is too long"))
    alerts = process(app, platform=platform)
    alerts.platform_changed("slack", down=True, error="503")
    alerts.platform_changed("cms", down=True, error="timeout")

    await alerts.step()

    assert [text for _, _, text in platform.notices] == [
        "🔴 cms: sending stopped (timeout); messages wait and go when it is back"
    ]
    assert await unsent(app) == 0
    async with app.sessions() as session:
        refused = await session.scalar(
            select(AlertMessage.last_error).where(AlertMessage.key == "platform:slack")
        )
    assert refused == "refused: Bad Request: message is too long"


async def test_an_alert_chat_that_is_gone_keeps_every_message_until_it_is_fixed(
    app: App, clock: FixedClock
) -> None:
    platform = ScriptedNotices(name="telegram")
    platform.answer(ALERT_CHAT, ChatGone("Forbidden: bot was kicked from the group chat"))
    alerts = process(app, platform=platform)
    alerts.platform_changed("slack", down=True, error="503")
    alerts.platform_changed("cms", down=True, error="timeout")

    await alerts.step()
    assert (platform.notices, await unsent(app)) == ([], 2)
    clock.advance(minutes=5)  # the operator fixed it; the messages were kept for it
    await alerts.step()
    assert len(platform.notices) == 2


async def test_a_message_put_back_does_not_hold_up_other_alerts_but_keeps_its_own_order(
    app: App, clock: FixedClock
) -> None:
    platform = ScriptedNotices(name="telegram")
    platform.answer(ALERT_CHAT, Transient("502 Bad Gateway"))
    alerts = process(app, platform=platform)
    alerts.platform_changed("slack", down=True, error="503")  # its send: a 502, backoff 2 s
    await alerts.step()
    alerts.platform_changed("slack", down=False, error="")  # must not overtake its start
    alerts.platform_changed("cms", down=True, error="timeout")  # may

    await alerts.step()
    assert [text.split(" ", 2)[1] for _, _, text in platform.notices] == ["cms:"]
    clock.advance(seconds=2)
    await alerts.step()
    assert [text.split(" ", 2)[:2] for _, _, text in platform.notices] == [
        ["🔴", "cms:"],
        ["🔴", "slack:"],
        ["✅", "Resolved"],
    ]


async def test_alert_messages_wait_while_the_platforms_breaker_is_open(
    app: App, clock: FixedClock
) -> None:
    monotonic = Monotonic()
    breaker = Breaker("telegram", monotonic=monotonic)
    for chat in ("1", "2", "3"):  # three chats failing in a row: telegram is down
        breaker.record(chat, Transient("502"))
    platform = ScriptedNotices(name="telegram")
    alerts = process(app, platform=platform, breaker=breaker, monotonic=monotonic)
    alerts.platform_changed("telegram", down=True, error="502")

    await alerts.step()
    assert (platform.notices, await unsent(app)) == ([], 1)

    monotonic.now += 60  # past the next probe, which is the alert itself
    clock.advance(seconds=60)
    await alerts.step()
    assert len(platform.notices) == 1
    assert not breaker.is_open  # the platform answered the probe


async def test_a_message_another_process_is_sending_is_left_to_it(
    app: App, clock: FixedClock
) -> None:
    platform = ScriptedNotices(name="telegram")
    alerts = process(app, platform=platform)
    alerts.platform_changed("slack", down=True, error="503")
    await alerts.flush()
    async with app.sessions() as session:  # leased by another process a moment ago
        await session.execute(
            update(AlertMessage).values(lease_expires_at=clock.now() + timedelta(seconds=30))
        )
        await session.commit()

    await alerts.step()
    assert platform.notices == []
    clock.advance(seconds=31)  # its lease ran out: that process died
    await alerts.step()
    assert len(platform.notices) == 1


async def test_a_month_on_sent_messages_and_resolved_alerts_are_forgotten_unsent_ones_never(
    app: App, clock: FixedClock
) -> None:
    platform = ScriptedNotices(name="telegram")
    sending = process(app, platform=platform)
    sending.platform_changed("slack", down=True, error="503")
    sending.platform_changed("slack", down=False, error="")
    await sending.step()  # both sent
    platform.answer(ALERT_CHAT, Transient("502"))
    sending.platform_changed("slack", down=True, error="503")
    await sending.step()  # queued, not sent
    clock.advance(days=31)

    await process(app).check()

    # The first pair is forgotten; the second start waits still, and its process, unheard of
    # for a month, is taken to be gone: the leader resolves it.
    assert await said(app) == [
        ("platform:slack", AlertEvent.STARTED),
        ("platform:slack", AlertEvent.RESOLVED),
    ]
    assert await unsent(app) == 2


async def test_a_platform_alert_lasts_while_its_process_says_so_and_ends_when_it_falls_silent(
    app: App, clock: FixedClock
) -> None:
    worker, leader = process(app, "host:2"), process(app, "host:1")
    worker.platform_changed("telegram", down=True, error="502")
    for _ in range(30):  # half an hour: the worker's breaker stays open
        await worker.step()
        await leader.check()
        clock.advance(minutes=1)
    for _ in range(6):  # the worker is killed
        await leader.check()
        clock.advance(minutes=1)

    assert await said(app) == [
        ("platform:telegram", AlertEvent.STARTED),
        ("platform:telegram", AlertEvent.RESOLVED),
    ]


# --- what the service tells the store watch ----------------------------------------------


async def test_a_loop_that_need_not_reach_the_store_does_not_say_it_is_back(
    app: App, clock: FixedClock
) -> None:
    service = Service(
        app=app,
        platforms={},
        dispatch_settings=DispatchSettings(owner="host:1"),
        poll_settings=PollSettings(max_bytes=1000, max_backoff=60, concurrency=1),
    )
    told: list[bool] = []
    service.store.listener = lambda away, error: told.append(away)
    service.store.failed("the dispatch loop", OperationalError("UPDATE", {}, Exception("locked")))

    async def lead_step() -> bool:  # on SQLite: leading is a given, nothing is asked
        service.stop.set()
        return True

    await service._loop("lead", lead_step, 0, reaches_store=False)
    assert told == [True]  # still away, as far as anyone knows
    service.stop.clear()
    await service._loop("dispatch", lead_step, 0)
    assert told == [True, False]
