"""What the dispatcher reports, against a recording platform and a real store: each
outcome once it is stored, each platform call's time, and how long an article took from
being stored to being sent."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from newsbot.app import App
from newsbot.clock import FixedClock
from newsbot.delivery.dispatcher import Dispatcher, DispatchSettings
from newsbot.delivery.outcomes import ChatGone, PermanentFailure, RateLimited, Transient
from newsbot.delivery.subscriptions import subscribe_with_recent
from newsbot.store.delivery_models import Chat, SubscriptionKind
from newsbot.telemetry import FAILED, GONE, RATE_LIMITED, SENT, STALE, TRANSIENT
from newsbot.text.analyzer import default_analyzer
from tests.builders import ALL_NEWS, add_chat, draft, publish
from tests.fakes.platform import RecordingPlatform


@dataclass
class Recorded:
    """``Telemetry`` that keeps every report."""

    settled: list[tuple[str, str, str, int]] = field(default_factory=list)
    sends: list[str] = field(default_factory=list)
    article_waits: list[tuple[str, str, float]] = field(default_factory=list)

    def delivered(self, platform: str, kind: str, outcome: str, rows: int = 1) -> None:
        self.settled.append((platform, kind, outcome, rows))

    def send_took(self, platform: str, seconds: float) -> None:
        assert seconds >= 0
        self.sends.append(platform)

    def article_to_send(self, platform: str, kind: str, seconds: float) -> None:
        self.article_waits.append((platform, kind, seconds))

    def feed_polled(self, result: str) -> None:
        raise AssertionError("the dispatcher polls no feeds")

    def command_took(self, command: str, seconds: float) -> None:
        raise AssertionError("the dispatcher answers no commands")


def dispatcher(app: App, platform: RecordingPlatform, telemetry: Recorded) -> Dispatcher:
    return Dispatcher(
        app.sessions,
        {"test": platform},
        app.clock,
        DispatchSettings(owner="t:1"),
        telemetry=telemetry,
    )


async def test_each_outcome_is_reported_once_stored_with_its_platform_and_kind(
    app: App, clock: FixedClock
) -> None:
    for chat in ("sent", "limited", "flaky", "gone", "refused"):
        await add_chat(app, chat, ALL_NEWS)
    await publish(app, draft(1))
    platform = RecordingPlatform()
    platform.answer("limited", RateLimited(3))
    platform.answer("flaky", Transient("502"))
    platform.answer("gone", ChatGone("blocked"))
    platform.answer("refused", PermanentFailure("bad request"))
    told = Recorded()
    clock.advance(seconds=30)  # the article was stored 30 s before the dispatcher ran

    await dispatcher(app, platform, told).run_once()

    assert sorted(told.settled) == sorted(
        ("test", "headline", outcome, 1)
        for outcome in (SENT, RATE_LIMITED, TRANSIENT, GONE, FAILED)
    )
    assert told.sends == ["test"] * 5  # every call to the platform, whatever it answered
    assert told.article_waits == [("test", "headline", 30.0)]  # only what was sent


async def test_rows_dropped_as_stale_are_reported_with_their_platform(
    app: App, clock: FixedClock
) -> None:
    await add_chat(app, "late", ALL_NEWS)
    await publish(app, draft(1))
    clock.advance(hours=25)  # past a headline's max age
    told = Recorded()

    await dispatcher(app, RecordingPlatform(), told).run_once()

    assert told.settled == [("test", "headline", STALE, 1)]
    assert told.sends == []


async def test_a_new_subscribers_recent_headlines_are_no_measure_of_news_latency(
    app: App, clock: FixedClock
) -> None:
    await publish(app, draft(1))
    clock.advance(hours=2)  # a reader subscribes two hours later and gets it then
    await add_chat(app, "newcomer")
    async with app.sessions() as session:
        chat = await session.scalar(select(Chat).where(Chat.platform_chat_id == "newcomer"))
        assert chat is not None
        result = await subscribe_with_recent(
            session, chat, SubscriptionKind.ALL, now=clock.now(), analyzer=default_analyzer()
        )
        await session.commit()
    assert result.queued == 1
    told = Recorded()

    await dispatcher(app, RecordingPlatform(), told).run_once()

    assert told.settled == [("test", "headline", SENT, 1)]
    assert told.article_waits == []
