"""The store side of editors' actions, on SQLite and PostgreSQL: who newsroom breaking news
goes to, how corrections reach sent copies, Send acting once, and the progress figures."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select, update

from newsbot.app import App
from newsbot.delivery.broadcasts import time_to
from newsbot.delivery.dispatcher import Dispatcher, DispatchSettings
from newsbot.delivery.editorial import claim_draft, open_draft
from newsbot.delivery.matcher import match_pending
from newsbot.platforms.console import UNLIMITED
from newsbot.store.delivery_models import Chat, Delivery, DeliveryKind, DeliveryState
from newsbot.store.editorial import NEWSROOM_SOURCE, Action, DraftState, Step
from newsbot.store.models import Article
from newsbot.text.analyzer import default_analyzer
from tests.builders import ALL_NEWS, add_chat, draft, match_all, publish, section, store_articles
from tests.conftest import START
from tests.fakes.platform import RecordingPlatform


async def rows(app: App, kind: DeliveryKind) -> dict[int, int]:
    """chat id → revision of the article's rows of this kind."""
    async with app.sessions() as session:
        found = await session.execute(
            select(Delivery.chat_id, Delivery.revision).where(Delivery.kind == kind)
        )
        return {chat: revision for chat, revision in found}


async def test_newsroom_breaking_news_goes_to_every_active_chat_a_feeds_only_to_subscribers(
    app: App,
) -> None:
    everything = await add_chat(app, "all", ALL_NEWS)
    sports = await add_chat(app, "sports", section("스포츠"))
    bare = await add_chat(app, "bare")  # no subscription at all
    gone = await add_chat(app, "gone", ALL_NEWS)
    async with app.sessions() as session:
        await session.execute(update(Chat).where(Chat.id == gone).values(active=False))
        await session.commit()

    await publish(app, draft(1, "피드 속보", is_breaking=True, section="행정"))
    from_feed = set(await rows(app, DeliveryKind.BREAKING))
    await publish(app, draft(2, "편집국 속보", source=NEWSROOM_SOURCE, is_breaking=True))
    both = await rows(app, DeliveryKind.BREAKING)

    assert from_feed == {everything}
    async with app.sessions() as session:
        newsroom = await session.scalar(select(Article.id).where(Article.source == NEWSROOM_SOURCE))
        targets = set(
            await session.scalars(select(Delivery.chat_id).where(Delivery.article_id == newsroom))
        )
    assert targets == {everything, sports, bare}
    assert len(both) == 3


async def test_a_chat_that_opted_out_gets_newsroom_breaking_news_only_by_subscription(
    app: App,
) -> None:
    subscribed = await add_chat(app, "subscribed", ALL_NEWS)
    sports = await add_chat(app, "sports", section("스포츠"))
    await add_chat(app, "bare")
    async with app.sessions() as session:
        await session.execute(update(Chat).values(breaking_alerts=False))
        await session.commit()

    await publish(app, draft(2, "편집국 속보", source=NEWSROOM_SOURCE, is_breaking=True))

    assert set(await rows(app, DeliveryKind.BREAKING)) == {subscribed}
    assert sports not in await rows(app, DeliveryKind.BREAKING)


async def test_newsroom_breaking_news_is_sent_ahead_of_queued_headlines(app: App) -> None:
    for name in ("a", "b", "c"):
        await add_chat(app, name, ALL_NEWS)
    await publish(app, draft(1, "기사 1"), draft(2, "기사 2"), draft(3, "기사 3"))
    await publish(app, draft(4, "편집국 속보", source=NEWSROOM_SOURCE, is_breaking=True))
    readers = RecordingPlatform(limits=UNLIMITED)
    dispatcher = Dispatcher(
        app.sessions,
        {"test": readers},
        app.clock,
        DispatchSettings(owner="test:1", batch=3),  # one batch: three of the twelve rows
    )

    await dispatcher.run_once()

    assert [(chat, m.kind) for chat, m in readers.sent] == [
        ("a", "breaking"),
        ("b", "breaking"),
        ("c", "breaking"),
    ]


async def mark_all_sent(app: App) -> None:
    async with app.sessions() as session:
        await session.execute(
            update(Delivery).values(state=DeliveryState.SENT, platform_message_id="m1")
        )
        await session.commit()


async def test_a_feeds_correction_replies_by_default_and_edits_in_place_when_set(
    app: App,
) -> None:
    chat = await add_chat(app, "a", ALL_NEWS)
    await publish(app, draft(1, "처음 제목"))
    await mark_all_sent(app)

    await store_articles(app, draft(1, "고친 제목"))
    await match_all(app)
    await store_articles(app, draft(1, "또 고친 제목"))
    async with app.sessions() as session:
        await match_pending(
            session, default_analyzer(), now=app.clock.now(), corrections=DeliveryKind.EDIT
        )
        await session.commit()

    assert await rows(app, DeliveryKind.CORRECTION) == {chat: 2}
    assert await rows(app, DeliveryKind.EDIT) == {chat: 3}


async def test_a_retracted_articles_events_write_no_rows(app: App) -> None:
    await add_chat(app, "a", ALL_NEWS)
    await store_articles(app, draft(1, "취소될 기사"))
    async with app.sessions() as session:
        await session.execute(update(Article).values(retracted_at=app.clock.now()))
        await session.commit()

    await match_all(app)

    assert await rows(app, DeliveryKind.HEADLINE) == {}


async def test_send_pressed_at_once_by_two_editors_acts_once(app: App) -> None:
    async with app.sessions() as session:
        opened = await open_draft(
            session,
            platform="telegram",
            chat_id="1",
            user_id="1",
            locale="ko",
            action=Action.BREAKING,
            now=app.clock.now(),
            step=Step.PREVIEW,
        )
        await session.commit()

    async def press() -> bool:
        async with app.sessions() as session:
            won = await claim_draft(session, opened.id, DraftState.SENT)
            await session.commit()
            return won

    results = await asyncio.gather(press(), press(), press())

    assert sorted(results) == [False, False, True]


def test_time_to_a_share_of_recipients_counts_failures_as_never_reached() -> None:
    sent = [START + timedelta(seconds=s) for s in (1, 2, 3, 4)]

    assert time_to(0.5, START, sent, 4) == 2.0
    assert time_to(1.0, START, sent, 4) == 4.0
    assert time_to(0.95, START, sent, 5) is None  # 95 % of 5 is 4.75: needs the 5th
    assert time_to(1.0, START, sent, 5) is None  # one failed: 100 % never reached
    assert time_to(0.5, START, [], 0) is None
