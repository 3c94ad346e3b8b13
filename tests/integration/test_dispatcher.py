"""The dispatcher against a recording platform: once each, in order, through every outcome."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from newsbot.app import App
from newsbot.clock import FixedClock
from newsbot.delivery import outbox
from newsbot.delivery.breaker import Breaker
from newsbot.delivery.dispatcher import (
    MAX_ATTEMPTS,
    UNSTORED_MAX,
    Dispatcher,
    DispatchSettings,
)
from newsbot.delivery.matcher import match_pending
from newsbot.delivery.outcomes import (
    ChatGone,
    ChatMoved,
    Outcome,
    Outgoing,
    PermanentFailure,
    RateLimited,
    Recipient,
    Transient,
)
from newsbot.delivery.pacing import Limits, Pacer
from newsbot.delivery.subscriptions import ChatRef, get_or_create_chat, subscribe
from newsbot.store.articles import store_drafts
from newsbot.store.delivery_models import (
    Chat,
    ChatKind,
    Delivery,
    DeliveryState,
    SubscriptionKind,
)
from newsbot.store.drafts import ArticleDraft
from newsbot.text.analyzer import default_analyzer
from tests.bulk import add_chats_taking_all_news
from tests.fakes.platform import RecordingPlatform


@dataclass
class Ticker:
    """Monotonic time for the pacer; it moves only when the test says so.

    The dispatcher's short pacing sleeps are recorded and yield, as a real sleep would let
    the other sends run; they do not move time for everyone.
    """

    now: float = 1000.0
    slept: float = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept += seconds
        await asyncio.sleep(0)


@dataclass
class Rig:
    app: App
    clock: FixedClock
    platform: RecordingPlatform
    ticker: Ticker
    dispatcher: Dispatcher

    async def chat(self, name: str, kind: ChatKind = ChatKind.PRIVATE) -> int:
        async with self.app.sessions() as session:
            chat = await get_or_create_chat(
                session, ChatRef("test", name), kind=kind, now=self.clock.now()
            )
            await subscribe(session, chat, SubscriptionKind.ALL, now=self.clock.now())
            await session.commit()
            return chat.id

    async def publish(self, n: int, title: str, *, breaking: bool = False) -> None:
        async with self.app.sessions() as session:
            await store_drafts(
                session,
                [
                    ArticleDraft(
                        source="t",
                        guid=f"g{n}",
                        url=f"https://n.example.kr/{n}",
                        title=title,
                        is_breaking=breaking,
                        published_at=datetime(2026, 11, 23, 2, 0, tzinfo=UTC),
                    )
                ],
                now=self.clock.now(),
            )
            while (await match_pending(session, default_analyzer(), now=self.clock.now())).events:
                pass  # a fan-out is matched a chunk a call
            await session.commit()

    async def states(self) -> list[DeliveryState]:
        async with self.app.sessions() as session:
            return list(await session.scalars(select(Delivery.state).order_by(Delivery.id)))

    def later(self, seconds: float) -> None:
        self.clock.advance(seconds=seconds)
        self.ticker.now += seconds


@pytest.fixture
async def rig(app: App, clock: FixedClock) -> AsyncIterator[Rig]:
    platform = RecordingPlatform()
    ticker = Ticker()
    pacer = Pacer(Limits(overall_per_second=1000.0), monotonic=ticker)
    dispatcher = Dispatcher(
        app.sessions,
        {"test": platform},
        clock,
        DispatchSettings(owner="test:1"),
        pacers={"test": pacer},
        sleep=ticker.sleep,
    )
    yield Rig(app, clock, platform, ticker, dispatcher)


async def test_each_subscriber_gets_the_article_once_and_the_message_id_is_kept(
    rig: Rig,
) -> None:
    for n in range(20):
        await rig.chat(f"c{n}")
    await rig.publish(1, "성남시 드론 배송")

    first = await rig.dispatcher.run_once()
    second = await rig.dispatcher.run_once()

    assert (first.sent, second.claimed) == (20, 0)
    assert sorted(chat for chat, _ in rig.platform.sent) == sorted(f"c{n}" for n in range(20))
    async with rig.app.sessions() as session:
        ids = list(await session.scalars(select(Delivery.platform_message_id)))
    assert len(set(ids)) == 20 and None not in ids


async def test_a_restarted_dispatcher_never_resends(rig: Rig, clock: FixedClock) -> None:
    await rig.chat("a")
    await rig.publish(1, "기사")
    await rig.dispatcher.run_once()

    fresh = Dispatcher(
        rig.app.sessions, {"test": rig.platform}, clock, DispatchSettings(owner="test:2")
    )
    rig.later(3600)

    assert (await fresh.run_once()).claimed == 0
    assert len(rig.platform.sent) == 1


async def test_breaking_news_goes_before_headlines(rig: Rig) -> None:
    await rig.chat("a", ChatKind.CHANNEL)
    await rig.publish(1, "평범한 소식")
    await rig.publish(2, "[속보] 화재", breaking=True)

    await rig.dispatcher.run_once()
    rig.later(5)
    await rig.dispatcher.run_once()

    assert [m.title for _, m in rig.platform.sent] == ["[속보] 화재", "평범한 소식"]


async def test_a_burst_to_one_chat_does_not_hold_up_the_others(rig: Rig) -> None:
    await rig.chat("busy")
    for n in range(5):
        await rig.publish(n, f"기사 {n}")
    for name in ("x", "y", "z"):
        await rig.chat(name)
    await rig.publish(10, "모두에게")

    report = await rig.dispatcher.run_once()

    assert len(rig.platform.to("busy")) <= 2  # its per-chat pace: about one a second
    assert all(len(rig.platform.to(name)) == 1 for name in ("x", "y", "z"))
    assert report.deferred >= 3
    for _ in range(10):
        rig.later(1.5)
        await rig.dispatcher.run_once()
    assert len(rig.platform.to("busy")) == 6


async def test_a_429_waits_exactly_what_the_platform_said(rig: Rig) -> None:
    await rig.chat("a")
    await rig.publish(1, "기사")
    rig.platform.answer("a", RateLimited(retry_after=7))

    first = await rig.dispatcher.run_once()
    rig.later(6)
    early = await rig.dispatcher.run_once()
    rig.later(1.5)
    on_time = await rig.dispatcher.run_once()

    assert (first.retried, early.claimed, on_time.sent) == (1, 0, 1)


async def test_transient_errors_retry_with_backoff_then_give_up(rig: Rig) -> None:
    await rig.chat("a")
    await rig.publish(1, "기사")
    rig.platform.answer("a", *[Transient("502 Bad Gateway")] * (MAX_ATTEMPTS + 1))

    reports = []
    for _ in range(MAX_ATTEMPTS + 2):
        reports.append(await rig.dispatcher.run_once())
        rig.later(400)  # past the longest backoff

    assert sum(r.retried for r in reports) == MAX_ATTEMPTS - 1
    assert sum(r.failed for r in reports) == 1
    assert await rig.states() == [DeliveryState.FAILED]
    async with rig.app.sessions() as session:
        error = await session.scalar(select(Delivery.last_error))
    assert error == f"gave up after {MAX_ATTEMPTS} attempts: 502 Bad Gateway"


async def test_an_adapter_that_raises_loses_nothing(rig: Rig) -> None:
    await rig.chat("a")
    await rig.publish(1, "기사")
    rig.platform.answer("a", RuntimeError("boom"))

    first = await rig.dispatcher.run_once()
    rig.later(400)
    second = await rig.dispatcher.run_once()

    assert (first.retried, second.sent) == (1, 1)


async def test_a_chat_that_blocked_the_bot_is_deactivated_with_its_rows(rig: Rig) -> None:
    blocked = await rig.chat("gone")
    await rig.publish(1, "하나")
    await rig.publish(2, "둘")
    blocked_reason = ChatGone("Forbidden: bot was blocked by the user")
    rig.platform.answer("gone", blocked_reason, blocked_reason)

    report = await rig.dispatcher.run_once()

    assert report.gone >= 1
    assert set(await rig.states()) == {DeliveryState.DROPPED}
    async with rig.app.sessions() as session:
        chat = await session.get(Chat, blocked)
    assert chat is not None and not chat.active
    assert chat.inactive_reason == "Forbidden: bot was blocked by the user"


async def test_a_migrated_group_is_moved_and_resent_there(rig: Rig) -> None:
    group = await rig.chat("-100", ChatKind.GROUP)
    await rig.publish(1, "기사")
    rig.platform.answer("-100", ChatMoved("-1001234567890"))

    moved = await rig.dispatcher.run_once()
    resent = await rig.dispatcher.run_once()

    assert (moved.moved, resent.sent) == (1, 1)
    assert [chat for chat, _ in rig.platform.sent] == ["-1001234567890"]
    async with rig.app.sessions() as session:
        chat = await session.get(Chat, group)
    assert chat is not None and chat.platform_chat_id == "-1001234567890"


async def test_a_permanent_failure_is_recorded_and_never_retried(rig: Rig) -> None:
    await rig.chat("a")
    await rig.publish(1, "기사")
    rig.platform.answer("a", PermanentFailure("Bad Request: can't parse entities"))

    await rig.dispatcher.run_once()
    rig.later(3600)

    assert (await rig.dispatcher.run_once()).claimed == 0
    assert await rig.states() == [DeliveryState.FAILED]


async def test_a_correction_names_the_message_it_corrects(rig: Rig) -> None:
    await rig.chat("a")
    await rig.publish(1, "성남시 예산 4조")
    await rig.dispatcher.run_once()
    rig.later(60)

    await rig.publish(1, "성남시 예산 4조1천억")
    await rig.dispatcher.run_once()

    [(_, first), (_, correction)] = rig.platform.sent
    assert correction.kind == "correction"
    assert correction.title == "성남시 예산 4조1천억"
    assert correction.replaces_message_id == "m1"
    assert first.kind == "headline"


async def test_a_correction_never_goes_ahead_of_the_copy_it_corrects(rig: Rig) -> None:
    await rig.chat("a")
    await rig.publish(1, "성남시 예산 4조")
    async with rig.app.sessions() as session:  # another process has it at the platform…
        [copy] = await outbox.claim(
            session, owner="w2", now=rig.clock.now(), lease=timedelta(seconds=30), limit=1
        )
        await session.commit()
    await rig.publish(1, "성남시 예산 4조1천억")  # …when the correction comes
    async with rig.app.sessions() as session:  # …and is told to wait ten minutes (a 429)
        await outbox.retry_later(
            session, copy.id, due_at=rig.clock.now() + timedelta(minutes=10), reason="429"
        )
        await session.commit()

    rig.later(31)
    meanwhile = await rig.dispatcher.run_once()
    rig.later(600)
    await rig.dispatcher.run_once()

    assert meanwhile.sent == 0
    [(_, sent)] = rig.platform.sent  # one message, with the corrected title
    assert (sent.kind, sent.title) == ("headline", "성남시 예산 4조1천억")


async def test_a_correction_of_a_copy_in_flight_waits_for_it_then_edits_it(rig: Rig) -> None:
    await rig.chat("a")
    await rig.publish(1, "성남시 예산 4조")
    async with rig.app.sessions() as session:
        [copy] = await outbox.claim(
            session, owner="w2", now=rig.clock.now(), lease=timedelta(seconds=30), limit=1
        )
        await session.commit()
    await rig.publish(1, "성남시 예산 4조1천억")
    async with rig.app.sessions() as session:  # the correction is claimed while it is away
        await session.execute(update(Delivery).values(due_at=rig.clock.now()))
        await session.commit()

    early = await rig.dispatcher.run_once()
    async with rig.app.sessions() as session:  # the other process stores its outcome
        await outbox.mark_sent(session, [(copy.id, "m-9")], now=rig.clock.now())
        await session.commit()
    rig.later(31)
    await rig.dispatcher.run_once()

    assert early.sent == 0
    [(_, correction)] = rig.platform.sent
    assert (correction.kind, correction.replaces_message_id) == ("correction", "m-9")


@dataclass
class CrashWitness(RecordingPlatform):
    """A platform that keeps the event loop as busy as a fast fan-out does (each send costs
    a millisecond of CPU), and now and then counts the messages already sent that the outbox
    does not show as sent: what a process killed at that moment would send again."""

    app: App | None = None
    worst: int = 0

    async def send(self, recipient: Recipient, message: Outgoing) -> Outcome:
        assert self.app is not None
        if len(self.sent) % 10 == 0:
            sent = len(self.sent)  # counted first: more may be sent while the query runs
            async with self.app.sessions() as session:
                stored = await session.scalar(
                    select(func.count()).where(Delivery.state == DeliveryState.SENT)
                )
            self.worst = max(self.worst, sent - (stored or 0))
        busy_until = time.perf_counter() + 0.001
        while time.perf_counter() < busy_until:
            pass
        await asyncio.sleep(0)
        return await super().send(recipient, message)


async def test_what_a_crash_would_send_again_stays_bounded_however_busy_the_loop(
    app: App, clock: FixedClock
) -> None:
    now = clock.now()
    async with app.sessions() as session:
        await add_chats_taking_all_news(session, "test", (f"c{n}" for n in range(500)), now=now)
        await session.commit()
    witness = CrashWitness(limits=Limits(1e6, 1e6, 1e6), app=app)
    settings = DispatchSettings(owner="w", batch=500, concurrency=32)
    dispatcher = Dispatcher(app.sessions, {"test": witness}, clock, settings)
    await Rig(app, clock, witness, Ticker(), dispatcher).publish(1, "모두에게")

    report = await dispatcher.run_once()

    assert report.sent == 500
    assert witness.worst <= UNSTORED_MAX  # sends in flight included


class StoreGone(Dispatcher):
    """A dispatcher whose database stops taking outcomes after the claim."""

    async def _settle(self, results: object, total: object) -> None:
        raise RuntimeError("database gone")


async def test_a_batch_whose_outcomes_cannot_be_stored_stops_sending(
    app: App, clock: FixedClock
) -> None:
    """Sending on regardless would make every further message a duplicate-to-be."""
    platform = RecordingPlatform(limits=Limits(1e6, 1e6, 1e6))
    ticker = Ticker()
    dispatcher = StoreGone(
        app.sessions,
        {"test": platform},
        clock,
        DispatchSettings(owner="w", batch=150, concurrency=8),
        sleep=ticker.sleep,
    )
    rig = Rig(app, clock, platform, ticker, dispatcher)
    for n in range(150):  # more than a batch may leave unstored
        await rig.chat(f"c{n}")
    await rig.publish(1, "모두에게")

    with pytest.raises(RuntimeError, match="database gone"):
        await dispatcher.run_once()

    assert len(platform.sent) <= UNSTORED_MAX
    assert set(await rig.states()) == {DeliveryState.PENDING}  # leased: they go again later


@dataclass
class Outage(RecordingPlatform):
    """A platform that answers 502 to everything while ``down``."""

    down: bool = False
    refused: int = 0

    async def send(self, recipient: Recipient, message: Outgoing) -> Outcome:
        if self.down:
            self.refused += 1
            return Transient("502 Bad Gateway")
        return await super().send(recipient, message)


async def test_an_hour_long_outage_loses_nothing_and_is_logged_when_it_starts_and_ends(
    app: App, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    platform, ticker = Outage(down=True), Ticker()
    dispatcher = Dispatcher(
        app.sessions,
        {"test": platform},
        clock,
        DispatchSettings(owner="test:1"),
        pacers={"test": Pacer(Limits(overall_per_second=1000.0), monotonic=ticker)},
        breakers={"test": Breaker("test", monotonic=ticker)},
        sleep=ticker.sleep,
    )
    rig = Rig(app, clock, platform, ticker, dispatcher)
    for n in range(20):
        await rig.chat(f"c{n}")
    await rig.publish(1, "정전으로 멈춘 텔레그램")

    for _ in range(120):  # an hour, a look every 30 s
        await dispatcher.run_once()
        rig.later(30)
    platform.down = False
    for _ in range(10):
        await dispatcher.run_once()
        rig.later(30)

    assert sorted(chat for chat, _ in platform.sent) == sorted(f"c{n}" for n in range(20))
    assert set(await rig.states()) == {DeliveryState.SENT}
    assert platform.refused < 3 + 120  # the first failures, then a probe a look at most
    async with app.sessions() as session:
        attempts = await session.scalar(select(func.max(Delivery.attempts)))
    # A claim counts an attempt, a deferral gives it back: the sending claim is one, and only
    # the failures before the breaker opened (two chats') cost one more.
    assert attempts == 2
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert sum("sends are failing across chats" in w for w in warnings) == 1
    assert sum(w.startswith("test: back after") for w in warnings) == 1


async def test_a_headline_that_waited_past_its_max_age_is_dropped_as_stale_not_sent(
    rig: Rig,
) -> None:
    await rig.chat("a")
    await rig.publish(1, "어제의 뉴스")
    await rig.publish(2, "어제의 속보", breaking=True)
    rig.later(25 * 3600)  # a day-long outage: nothing could be sent

    report = await rig.dispatcher.run_once()

    assert (report.stale, report.sent) == (1, 1)
    assert [m.title for _, m in rig.platform.sent] == ["어제의 속보"]  # breaking waits 72 h
    async with rig.app.sessions() as session:
        dropped = (
            await session.execute(
                select(Delivery.state, Delivery.last_error).where(
                    Delivery.state == DeliveryState.DROPPED
                )
            )
        ).all()
    assert dropped == [(DeliveryState.DROPPED, "stale: not sent in time")]


async def test_one_platform_down_does_not_hold_back_another(app: App, clock: FixedClock) -> None:
    down, up, ticker = Outage(name="down", down=True), RecordingPlatform(name="up"), Ticker()
    fast = Limits(overall_per_second=1000.0)
    dispatcher = Dispatcher(
        app.sessions,
        {"down": down, "up": up},
        clock,
        DispatchSettings(owner="test:1"),
        pacers={name: Pacer(fast, monotonic=ticker) for name in ("down", "up")},
        breakers={name: Breaker(name, monotonic=ticker) for name in ("down", "up")},
        sleep=ticker.sleep,
    )
    async with app.sessions() as session:
        for platform in ("down", "up"):
            await add_chats_taking_all_news(
                session, platform, [f"{platform}{n}" for n in range(10)], now=clock.now()
            )
        await session.commit()
    rig = Rig(app, clock, up, ticker, dispatcher)
    await rig.publish(1, "한쪽만 멈춘 날")
    await dispatcher.run_once()  # "down" fails across its chats: its breaker opens
    assert dispatcher.breakers["down"].is_open

    await rig.publish(2, "멈춘 동안의 기사")
    await dispatcher.run_once()

    titles = {chat: [m.title for m in up.to(chat)] for chat in (f"up{n}" for n in range(10))}
    assert all(got == ["한쪽만 멈춘 날", "멈춘 동안의 기사"] for got in titles.values())
    assert not dispatcher.breakers["up"].is_open and down.sent == []
