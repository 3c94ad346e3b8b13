"""Quiet hours: headlines wait in the outbox and arrive as one "while you were away" message.

The clock starts at 12:00 in Seoul (03:00 UTC), which is 22:00 the evening before in New York.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from newsbot.app import App
from newsbot.clock import FixedClock
from newsbot.delivery import outbox
from newsbot.delivery.chat_settings import set_link_previews, set_quiet_hours
from newsbot.delivery.dispatcher import Dispatcher, DispatchSettings
from newsbot.delivery.messages import AWAY_LISTED
from newsbot.delivery.outcomes import AWAY, Outcome, Outgoing, Recipient, Transient
from newsbot.delivery.pacing import Limits, Pacer
from newsbot.delivery.subscriptions import subscribe, unsubscribe
from newsbot.store.delivery_models import Chat, Delivery, DeliveryState, SubscriptionKind
from newsbot.store.drafts import ArticleDraft
from tests.builders import ALL_NEWS, chat_in, draft, publish
from tests.fakes.platform import RecordingPlatform

FAST = Limits(overall_per_second=1e6, per_chat_per_second=1e6, per_group_per_minute=1e6)
LEASE = timedelta(seconds=60)
SEOUL_MIDNIGHT = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 00:00 KST on the 24th
SEOUL_SEVEN = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)  # 07:00 KST on the 24th
NEW_YORK_SIX = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)  # 06:00 EST on the 23rd


@dataclass
class RecipientRecorder(RecordingPlatform):
    """The recording double, also keeping whom each message was addressed to."""

    recipients: list[Recipient] = field(default_factory=list)

    async def send(self, recipient: Recipient, message: Outgoing) -> Outcome:
        self.recipients.append(recipient)
        return await super().send(recipient, message)


@dataclass
class Rig:
    app: App
    clock: FixedClock
    platform: RecipientRecorder
    dispatcher: Dispatcher
    published: int = 0

    async def chat(
        self, name: str, zone: str = "Asia/Seoul", quiet: str | None = "23:00-07:00"
    ) -> int:
        async with self.app.sessions() as session:
            chat = await chat_in(session, name, ALL_NEWS, now=self.clock.now())
            chat.timezone = zone
            await set_quiet_hours(session, chat, quiet, now=self.clock.now())
            await session.commit()
            return chat.id

    async def publish(self, *titles: str, breaking: bool = False, guid: str | None = None) -> None:
        """One article per title, a minute apart, the last a minute ago; with a guid, each is a
        new version of that one article."""
        drafts: list[ArticleDraft] = []
        for title in titles:
            self.published += 1
            drafts.append(
                draft(
                    guid or self.published,
                    title,
                    section="행정",
                    is_breaking=breaking,
                    published_at=self.clock.now() - timedelta(minutes=len(titles) - len(drafts)),
                )
            )
        await publish(self.app, *drafts)

    async def rows(self) -> list[tuple[DeliveryState, datetime, str | None]]:
        """Outbox rows in the order their chats were added, then as written."""
        async with self.app.sessions() as session:
            found = await session.execute(
                select(Delivery.state, Delivery.due_at, Delivery.platform_message_id).order_by(
                    Delivery.chat_id, Delivery.id
                )
            )
            return [(s, d, m) for s, d, m in found]

    async def states(self) -> list[DeliveryState]:
        return [state for state, _, _ in await self.rows()]

    def worker(self, owner: str) -> Dispatcher:
        return Dispatcher(
            self.app.sessions,
            {"test": self.platform},
            self.clock,
            DispatchSettings(owner=owner, lease=LEASE),
            pacers={"test": Pacer(FAST)},
        )


@pytest.fixture
async def rig(app: App, clock: FixedClock) -> AsyncIterator[Rig]:
    platform = RecipientRecorder(limits=FAST)
    dispatcher = Dispatcher(
        app.sessions,
        {"test": platform},
        clock,
        DispatchSettings(owner="test:1", lease=LEASE),
        pacers={"test": Pacer(FAST)},
    )
    yield Rig(app, clock, platform, dispatcher)


async def test_outside_quiet_hours_a_headline_goes_at_once(rig: Rig) -> None:
    await rig.chat("seoul")  # 12:00 in Seoul: not quiet

    await rig.publish("정오의 소식")
    report = await rig.dispatcher.run_once()

    assert report.sent == 1
    assert [m.kind for m in rig.platform.to("seoul")] == ["headline"]


async def test_a_headline_at_night_in_seoul_is_held_until_seven_in_the_morning(rig: Rig) -> None:
    await rig.chat("seoul")
    rig.clock.set(SEOUL_MIDNIGHT)

    await rig.publish("자정의 소식")
    report = await rig.dispatcher.run_once()

    assert report.claimed == 0
    assert await rig.rows() == [(DeliveryState.HELD, SEOUL_SEVEN, None)]


async def test_a_chat_taking_a_headline_several_ways_at_night_has_it_held_once(
    rig: Rig,
) -> None:
    chat_id = await rig.chat("seoul")
    async with rig.app.sessions() as session:
        chat = await session.get_one(Chat, chat_id)
        await subscribe(session, chat, SubscriptionKind.SECTION, "행정", now=rig.clock.now())
        await subscribe(session, chat, SubscriptionKind.KEYWORD, "소식", now=rig.clock.now())
        await session.commit()
    rig.clock.set(SEOUL_MIDNIGHT)

    await rig.publish("자정의 소식")

    assert await rig.rows() == [(DeliveryState.HELD, SEOUL_SEVEN, None)]


async def test_a_keyword_subscriber_at_night_has_its_headline_held(rig: Rig) -> None:
    chat_id = await rig.chat("seoul")
    async with rig.app.sessions() as session:
        chat = await session.get_one(Chat, chat_id)
        await unsubscribe(session, chat)
        await subscribe(session, chat, SubscriptionKind.KEYWORD, "소식", now=rig.clock.now())
        await session.commit()
    rig.clock.set(SEOUL_MIDNIGHT)

    await rig.publish("자정의 소식", "다른 이야기")

    assert await rig.rows() == [(DeliveryState.HELD, SEOUL_SEVEN, None)]


async def test_quiet_hours_are_read_in_the_chats_own_zone(rig: Rig) -> None:
    await rig.chat("seoul")  # 23:00-07:00 in Seoul: now is noon there
    await rig.chat("new-york", zone="America/New_York", quiet="22:00-06:00")  # 22:00 there

    await rig.publish("같은 순간의 소식")
    await rig.dispatcher.run_once()

    assert [chat for chat, _ in rig.platform.sent] == ["seoul"]
    assert [(s, d) for s, d, _ in await rig.rows()] == [
        (DeliveryState.SENT, rig.clock.now()),
        (DeliveryState.HELD, NEW_YORK_SIX),
    ]


async def test_held_headlines_arrive_as_one_message_when_quiet_hours_end(rig: Rig) -> None:
    await rig.chat("seoul")
    rig.clock.set(SEOUL_MIDNIGHT)
    await rig.publish("첫째 소식")
    rig.clock.advance(hours=2)
    await rig.publish("둘째 소식", "셋째 소식")

    rig.clock.set(SEOUL_SEVEN - timedelta(seconds=1))
    early = await rig.dispatcher.run_once()
    rig.clock.set(SEOUL_SEVEN)
    on_time = await rig.dispatcher.run_once()
    after = await rig.dispatcher.run_once()

    assert (early.claimed, on_time.sent, after.claimed) == (0, 3, 0)
    [away] = rig.platform.to("seoul")
    assert away.kind == AWAY
    assert [away.title, *(h.title for h in away.also)] == ["셋째 소식", "둘째 소식", "첫째 소식"]
    assert (away.total, away.more) == (3, 0)
    assert await rig.rows() == [(DeliveryState.SENT, SEOUL_SEVEN, "m1")] * 3


async def test_a_long_night_lists_the_newest_and_counts_the_rest(rig: Rig) -> None:
    await rig.chat("seoul")
    rig.clock.set(SEOUL_MIDNIGHT)
    await rig.publish(*(f"소식 {n:02d}" for n in range(25)))

    rig.clock.set(SEOUL_SEVEN)
    await rig.dispatcher.run_once()

    [away] = rig.platform.to("seoul")
    assert away.title == "소식 24"
    assert len(away.also) == AWAY_LISTED - 1
    assert away.also[-1].title == f"소식 {25 - AWAY_LISTED:02d}"
    assert (away.more, away.total) == (25 - AWAY_LISTED, 25)
    assert set(await rig.states()) == {DeliveryState.SENT}


async def test_a_single_held_headline_arrives_as_an_ordinary_headline(rig: Rig) -> None:
    await rig.chat("seoul")
    rig.clock.set(SEOUL_MIDNIGHT)
    await rig.publish("밤사이 한 건")

    rig.clock.set(SEOUL_SEVEN)
    await rig.dispatcher.run_once()

    [message] = rig.platform.to("seoul")
    assert (message.kind, message.title, message.also) == ("headline", "밤사이 한 건", ())


async def test_breaking_news_is_never_held(rig: Rig) -> None:
    await rig.chat("seoul")
    rig.clock.set(SEOUL_MIDNIGHT)

    await rig.publish("[속보] 화재", breaking=True)
    await rig.publish("평범한 소식")
    await rig.dispatcher.run_once()

    assert [(m.kind, m.title) for m in rig.platform.to("seoul")] == [("breaking", "[속보] 화재")]
    assert await rig.states() == [DeliveryState.SENT, DeliveryState.HELD]


async def test_a_correction_is_never_held(rig: Rig) -> None:
    await rig.chat("seoul")
    await rig.publish("성남시 예산 4조", guid="budget")
    await rig.dispatcher.run_once()
    rig.clock.set(SEOUL_MIDNIGHT)

    await rig.publish("성남시 예산 4조1천억", guid="budget")
    await rig.dispatcher.run_once()

    assert [m.kind for m in rig.platform.to("seoul")] == ["headline", "correction"]


async def test_a_dispatcher_that_dies_holding_the_group_loses_and_doubles_nothing(
    rig: Rig,
) -> None:
    await rig.chat("seoul")
    rig.clock.set(SEOUL_MIDNIGHT)
    await rig.publish("하나", "둘", "셋")
    rig.clock.set(SEOUL_SEVEN)
    async with rig.app.sessions() as session:  # a worker claims the group, then dies
        groups = await outbox.claim_held(
            session, owner="dead:1", now=rig.clock.now(), lease=LEASE, limit=10
        )
        await session.commit()
    assert [len(ids) for ids in groups.values()] == [3]

    survivor = rig.worker("alive:2")
    while_leased = await survivor.run_once()
    rig.clock.advance(seconds=LEASE.total_seconds() + 1)
    after_expiry = await survivor.run_once()
    rig.clock.advance(hours=1)
    later = await survivor.run_once()

    assert (while_leased.claimed, after_expiry.sent, later.claimed) == (0, 3, 0)
    [away] = rig.platform.to("seoul")
    assert away.total == 3
    assert {m for _, _, m in await rig.rows()} == {"m1"}


async def test_a_group_that_must_be_retried_stays_one_message(rig: Rig) -> None:
    await rig.chat("seoul")
    rig.clock.set(SEOUL_MIDNIGHT)
    await rig.publish("하나", "둘")
    rig.clock.set(SEOUL_SEVEN)
    rig.platform.answer("seoul", Transient("502 Bad Gateway"))

    failed = await rig.dispatcher.run_once()
    rig.clock.advance(seconds=400)
    retried = await rig.dispatcher.run_once()

    assert (failed.retried, retried.sent) == (2, 2)
    [away] = rig.platform.to("seoul")
    assert away.total == 2


async def test_two_workers_never_split_one_chats_group(rig: Rig) -> None:
    await rig.chat("seoul")
    await rig.chat("busan")
    rig.clock.set(SEOUL_MIDNIGHT)
    await rig.publish("하나", "둘", "셋")
    rig.clock.set(SEOUL_SEVEN)

    reports = await asyncio.gather(rig.worker("w:1").run_once(), rig.worker("w:2").run_once())

    assert sum(r.sent for r in reports) == 6
    assert sorted((chat, m.total) for chat, m in rig.platform.sent) == [
        ("busan", 3),
        ("seoul", 3),
    ]


async def test_turning_quiet_hours_off_releases_what_was_held(rig: Rig) -> None:
    chat_id = await rig.chat("seoul")
    rig.clock.set(SEOUL_MIDNIGHT)
    await rig.publish("하나", "둘")

    async with rig.app.sessions() as session:
        chat = await session.get(Chat, chat_id)
        assert chat is not None
        await set_quiet_hours(session, chat, "off", now=rig.clock.now())
        await session.commit()
    await rig.dispatcher.run_once()

    [away] = rig.platform.to("seoul")
    assert away.total == 2


async def test_moving_quiet_hours_moves_what_was_held(rig: Rig) -> None:
    chat_id = await rig.chat("seoul")
    rig.clock.set(SEOUL_MIDNIGHT)
    await rig.publish("하나")

    async with rig.app.sessions() as session:
        chat = await session.get(Chat, chat_id)
        assert chat is not None
        await set_quiet_hours(session, chat, "22:00-06:00", now=rig.clock.now())
        await session.commit()

    assert await rig.rows() == [(DeliveryState.HELD, SEOUL_SEVEN - timedelta(hours=1), None)]


async def test_a_chat_that_goes_away_drops_its_held_headlines(rig: Rig) -> None:
    chat_id = await rig.chat("seoul")
    rig.clock.set(SEOUL_MIDNIGHT)
    await rig.publish("하나", "둘")

    async with rig.app.sessions() as session:
        dropped = await outbox.deactivate_chat(
            session, chat_id, reason="bot was blocked", now=rig.clock.now()
        )
        await session.commit()

    assert dropped == 2
    assert await rig.states() == [DeliveryState.DROPPED] * 2


async def test_the_link_preview_setting_reaches_the_platform(rig: Rig) -> None:
    chat_id = await rig.chat("seoul", quiet=None)
    await rig.chat("busan", quiet=None)
    async with rig.app.sessions() as session:
        chat = await session.get(Chat, chat_id)
        assert chat is not None
        set_link_previews(chat, False, now=rig.clock.now())
        await session.commit()

    await rig.publish("소식")
    await rig.dispatcher.run_once()

    previews = {r.platform_chat_id: r.link_previews for r in rig.platform.recipients}
    assert previews == {"seoul": False, "busan": True}


async def test_on_postgresql_a_group_being_claimed_is_skipped_not_split(rig: Rig) -> None:
    if rig.app.engine.dialect.name != "postgresql":
        pytest.skip("row locks: SQLite has one writer at a time anyway")
    await rig.chat("seoul")
    rig.clock.set(SEOUL_MIDNIGHT)
    await rig.publish("하나", "둘")
    rig.clock.set(SEOUL_SEVEN)
    now = rig.clock.now()

    async with rig.app.sessions() as first, rig.app.sessions() as second:
        mine = await outbox.claim_held(first, owner="w:1", now=now, lease=LEASE, limit=10)
        theirs = await asyncio.wait_for(
            outbox.claim_held(second, owner="w:2", now=now, lease=LEASE, limit=10), timeout=5
        )
        await second.commit()
        await first.commit()
        async with rig.app.sessions() as third:
            after = await outbox.claim_held(third, owner="w:3", now=now, lease=LEASE, limit=10)

    assert [len(ids) for ids in mine.values()] == [2]
    assert (theirs, after) == ({}, {})
