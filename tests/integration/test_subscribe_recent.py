"""Subscribing through the bot queues the latest three headlines the subscription takes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from newsbot.app import App
from newsbot.delivery.chat_settings import set_quiet_hours
from newsbot.delivery.dispatcher import Dispatcher, DispatchSettings
from newsbot.delivery.matcher import match_pending
from newsbot.delivery.pacing import Limits, Pacer
from newsbot.delivery.subscriptions import RECENT_WINDOW, SubscribeResult, subscribe_with_recent
from newsbot.store.delivery_models import (
    Chat,
    Delivery,
    DeliveryKind,
    DeliveryState,
    SubscriptionKind,
)
from newsbot.store.models import Article
from newsbot.text.analyzer import default_analyzer
from tests.builders import ALL_NEWS, add_chat, draft, match_all, store_articles
from tests.fakes.platform import RecordingPlatform

FAST = Limits(overall_per_second=1e6, per_chat_per_second=1e6, per_group_per_minute=1e6)


async def publish(
    app: App,
    n: int,
    title: str,
    *,
    section: str = "행정",
    lead: str = "",
    hours_ago: float = 0,
    breaking: bool = False,
    match: bool = True,
) -> None:
    """Article n, published ``hours_ago`` (later n, later published unless told otherwise)."""
    published_at = app.clock.now() - timedelta(hours=hours_ago, minutes=100 - n)
    article = draft(
        n, title, section=section, lead=lead, is_breaking=breaking, published_at=published_at
    )
    await store_articles(app, article)
    if match:
        await match_all(app)


async def reader_subscribes(
    app: App, chat_id: int, kind: SubscriptionKind, value: str = ""
) -> SubscribeResult:
    async with app.sessions() as session:
        chat = await session.get(Chat, chat_id)
        assert chat is not None
        result = await subscribe_with_recent(
            session, chat, kind, value, now=app.clock.now(), analyzer=default_analyzer()
        )
        await session.commit()
        return result


async def queued_titles(app: App, chat_id: int) -> list[str]:
    async with app.sessions() as session:
        rows = await session.scalars(
            select(Article.title)
            .join(Delivery, Delivery.article_id == Article.id)
            .where(Delivery.chat_id == chat_id)
            .order_by(Delivery.id)
        )
        return list(rows)


async def test_a_section_subscription_queues_its_latest_three_oldest_first(app: App) -> None:
    for n in range(1, 6):
        await publish(app, n, f"행정 {n}")
    await publish(app, 6, "경제 6", section="경제")
    chat = await add_chat(app, "reader")

    result = await reader_subscribes(app, chat, SubscriptionKind.SECTION, "행정")

    assert (result.created, result.queued) == (True, 3)
    assert await queued_titles(app, chat) == ["행정 3", "행정 4", "행정 5"]


async def test_the_queued_headlines_go_out_in_order_as_headlines(app: App) -> None:
    for n in range(1, 5):
        await publish(app, n, f"소식 {n}", breaking=n == 4)
    chat = await add_chat(app, "reader")
    await reader_subscribes(app, chat, SubscriptionKind.ALL)
    platform = RecordingPlatform(limits=FAST)
    dispatcher = Dispatcher(
        app.sessions,
        {"test": platform},
        app.clock,
        DispatchSettings(owner="t:1"),
        pacers={"test": Pacer(FAST)},
    )

    await dispatcher.run_once()

    assert [(m.kind, m.title, m.is_breaking) for m in platform.to("reader")] == [
        ("headline", "소식 2", False),
        ("headline", "소식 3", False),
        ("headline", "소식 4", True),  # old breaking news is no alert, but keeps its 🔴
    ]


async def test_a_keyword_subscription_matches_as_the_matcher_does(app: App) -> None:
    await publish(app, 1, "성남시 드론전문의용소방대 출범")
    await publish(app, 2, "교통 소식")
    await publish(app, 3, "판교 소식", lead="드론으로 택배를 나른다")
    await publish(app, 4, "드로잉 전시회")
    await publish(app, 5, "날씨")
    chat = await add_chat(app, "reader")

    result = await reader_subscribes(app, chat, SubscriptionKind.KEYWORD, "드론")

    assert result.queued == 2
    assert await queued_titles(app, chat) == ["성남시 드론전문의용소방대 출범", "판교 소식"]


async def test_headlines_the_chat_already_has_are_not_sent_again(app: App) -> None:
    chat = await add_chat(app, "reader", ALL_NEWS)
    await publish(app, 1, "행정 1")
    await publish(app, 2, "행정 2", breaking=True)
    await publish(app, 3, "행정 3")

    result = await reader_subscribes(app, chat, SubscriptionKind.SECTION, "행정")

    assert result.queued == 0
    assert await queued_titles(app, chat) == ["행정 1", "행정 2", "행정 3"]


async def test_subscribing_twice_queues_nothing_the_second_time(app: App) -> None:
    await publish(app, 1, "행정 1")
    chat = await add_chat(app, "reader")

    first = await reader_subscribes(app, chat, SubscriptionKind.SECTION, "행정")
    second = await reader_subscribes(app, chat, SubscriptionKind.SECTION, " 행정 ")

    assert (first.created, first.queued) == (True, 1)
    assert (second.created, second.queued) == (False, 0)
    assert await queued_titles(app, chat) == ["행정 1"]


async def test_articles_the_matcher_has_not_seen_are_left_to_it(app: App) -> None:
    await publish(app, 1, "행정 1")
    await publish(app, 2, "[속보] 행정 2", breaking=True, match=False)
    chat = await add_chat(app, "reader")

    result = await reader_subscribes(app, chat, SubscriptionKind.SECTION, "행정")
    await match_all(app)

    assert result.queued == 1
    async with app.sessions() as session:
        rows = await session.execute(
            select(Delivery.article_id, Delivery.kind).where(Delivery.chat_id == chat)
        )
        assert sorted(rows.all()) == [(1, DeliveryKind.HEADLINE), (2, DeliveryKind.BREAKING)]


async def test_news_older_than_a_week_is_not_pushed(app: App) -> None:
    await publish(app, 1, "지난달 소식", hours_ago=RECENT_WINDOW.total_seconds() / 3600 + 1)
    await publish(app, 2, "어제 소식", hours_ago=24)
    chat = await add_chat(app, "reader")

    result = await reader_subscribes(app, chat, SubscriptionKind.ALL)

    assert result.queued == 1
    assert await queued_titles(app, chat) == ["어제 소식"]


async def test_a_reader_who_subscribes_during_quiet_hours_gets_them_at_once(app: App) -> None:
    await publish(app, 1, "행정 1")
    chat = await add_chat(app, "reader")
    async with app.sessions() as session:
        found = await session.get(Chat, chat)
        assert found is not None
        await set_quiet_hours(session, found, "00:00-23:59", now=app.clock.now())
        await session.commit()

    await reader_subscribes(app, chat, SubscriptionKind.ALL)

    async with app.sessions() as session:
        state = await session.scalar(select(Delivery.state).where(Delivery.chat_id == chat))
    assert state is DeliveryState.PENDING


async def test_a_reader_who_subscribes_mid_fan_out_gets_the_article_once_either_way(
    app: App,
) -> None:
    """The matcher writes a big fan-out a chunk of chats at a time. A reader it has passed
    already gets the article from subscribing; one it has yet to reach gets it from the
    matcher."""
    early = await add_chat(app, "early")
    others = [await add_chat(app, f"reader{n}") for n in range(3)]
    for chat in others:
        await reader_subscribes(app, chat, SubscriptionKind.ALL)
    await publish(app, 1, "행정 1", match=False)
    async with app.sessions() as session:  # the first chunk: up to others[1]
        first = await match_pending(
            session, default_analyzer(), now=app.clock.now(), first_chunk=2, chunk=2
        )
        await session.commit()
    assert first.unfinished == 1
    late = await add_chat(app, "late")

    passed = await reader_subscribes(app, early, SubscriptionKind.ALL)
    ahead = await reader_subscribes(app, late, SubscriptionKind.ALL)
    async with app.sessions() as session:
        while (
            await match_pending(
                session, default_analyzer(), now=app.clock.now(), first_chunk=2, chunk=2
            )
        ).events:
            pass
        await session.commit()

    assert (passed.queued, ahead.queued) == (1, 0)  # the matcher brings it to the late one
    assert await queued_titles(app, early) == ["행정 1"]
    assert await queued_titles(app, late) == ["행정 1"]
