"""Digests through the outbox: the dispatcher sends what the tick chose, one message per
distinct digest, and settles the row like any other."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from newsbot.app import App
from newsbot.clock import FixedClock
from newsbot.delivery.dispatcher import Dispatcher, DispatchSettings
from newsbot.delivery.pacing import Limits
from newsbot.delivery.retention import prune_settled
from newsbot.digest.retention import prune_digests
from newsbot.store.delivery_models import Delivery, DeliveryState
from tests.builders import section
from tests.digest_helpers import (
    DAY,
    EIGHT_KST,
    articles_with_views,
    digest_chat,
    digest_deliveries,
    digests_of,
    tick,
)
from tests.fakes.platform import RecordingPlatform

VIEWS = [5, 90, 40, 70, 10, 80, 60, 30, 20, 50]


def dispatcher(app: App, clock: FixedClock, platform: RecordingPlatform) -> Dispatcher:
    return Dispatcher(app.sessions, {"test": platform}, clock, DispatchSettings(owner="test:1"))


async def test_the_chats_of_one_digest_share_one_message_and_each_gets_it_once(
    app: App, clock: FixedClock
) -> None:
    clock.set(EIGHT_KST - timedelta(hours=1))
    sections: list[str | None] = ["경제", "사회"] * 5
    ids = await articles_with_views(
        app, VIEWS, published=EIGHT_KST - timedelta(hours=20), sections=sections
    )
    readers = [await digest_chat(app, f"r{n}") for n in range(3)]
    economy = await digest_chat(app, "economy", section("경제"), size=2)
    platform = RecordingPlatform(limits=Limits(overall_per_second=1000, per_chat_per_second=100))
    clock.set(EIGHT_KST)
    await tick(app)

    report = await dispatcher(app, clock, platform).run_once()
    again = await dispatcher(app, clock, platform).run_once()

    assert (report.sent, again.claimed) == (4, 0)
    by_chat = {chat: message for chat, message in platform.sent}
    assert sorted(by_chat) == ["economy", "r0", "r1", "r2"]
    shared = {id(by_chat[f"r{n}"]) for n in range(3)}
    assert len(shared) == 1  # one Outgoing, so each platform renders it once per zone
    body = by_chat["r0"].digest
    assert body is not None and body.day == DAY and not body.fell_back
    ranked = [i for _, i in sorted(zip(VIEWS, ids, strict=True), reverse=True)][:7]
    assert [item.url for item in body.items] == [
        f"https://news.example.kr/a/d{ids.index(i)}" for i in ranked
    ]
    assert body.items[0].lead == "기사 1의 첫 줄입니다. 두 번째 문장."  # no byline
    limited = by_chat["economy"].digest
    assert limited is not None
    assert [item.section for item in limited.items] == ["경제", "경제"]
    for chat in [*readers, economy]:
        [row] = await digest_deliveries(app, chat)
        assert row.state == DeliveryState.SENT and row.platform_message_id


async def test_old_digests_are_forgotten_once_their_deliveries_are(
    app: App, clock: FixedClock
) -> None:
    clock.set(EIGHT_KST - timedelta(hours=1))
    sent_chat = await digest_chat(app, "sent", empty_note=True)
    waiting_chat = await digest_chat(app, "waiting", empty_note=True)
    clock.set(EIGHT_KST)
    await tick(app)
    async with app.sessions() as session:
        await session.execute(
            update(Delivery)
            .where(Delivery.chat_id == sent_chat)
            .values(state=DeliveryState.SENT, sent_at=clock.now())
        )
        await session.commit()
    later = EIGHT_KST + timedelta(days=40)

    settled = await prune_settled(app.sessions, before=later - timedelta(days=30))
    forgotten = await prune_digests(app.sessions, before=later - timedelta(days=30))

    assert (settled, forgotten) == (1, 1)
    assert await digests_of(app, sent_chat) == []
    assert len(await digests_of(app, waiting_chat)) == 1  # its delivery still waits
