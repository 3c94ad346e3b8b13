"""The outbox: each new article reaches each matching chat once, across re-runs and leases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from newsbot.app import App
from newsbot.clock import FixedClock
from newsbot.delivery.matcher import MatchReport, match_pending
from newsbot.delivery.outbox import claim, deactivate_chat, mark_failed, mark_sent, retry_later
from newsbot.delivery.subscriptions import subscribe, subscribe_with_recent, unsubscribe
from newsbot.errors import InputError
from newsbot.store.delivery_models import (
    ArticleEvent,
    Chat,
    Delivery,
    DeliveryKind,
    DeliveryState,
    SubscriptionKind,
)
from newsbot.text.analyzer import default_analyzer
from tests.builders import (
    ALL_NEWS,
    add_chat,
    chat_in,
    draft,
    keyword,
    section,
    store_articles,
)

LEASE = timedelta(seconds=30)


async def run_matcher(app: App) -> int:
    """Match everything queued, a commit a call, as `newsbot run` does."""
    written = 0
    while True:
        async with app.sessions() as session:
            report = await match_pending(session, default_analyzer(), now=app.clock.now())
            await session.commit()
        written += report.deliveries
        if not report.events:
            return written


async def deliveries(app: App) -> list[tuple[int | None, int, DeliveryKind, DeliveryState]]:
    async with app.sessions() as session:
        rows = await session.execute(
            select(Delivery.article_id, Delivery.chat_id, Delivery.kind, Delivery.state).order_by(
                Delivery.id
            )
        )
        return [(a, c, k, s) for a, c, k, s in rows]


async def test_a_new_article_reaches_all_news_section_and_keyword_subscribers_once(
    app: App,
) -> None:
    everything = await add_chat(app, "all", ALL_NEWS)
    admin = await add_chat(app, "admin", section("행정"))
    sports = await add_chat(app, "sports", section("스포츠"))
    drones = await add_chat(app, "drones", keyword("드론"))
    await store_articles(app, draft(1, "드론전문의용소방대 공식 출범", section="행정"))

    assert await run_matcher(app) == 3
    assert await run_matcher(app) == 0  # nothing left, nothing doubled

    chats = {chat for _, chat, _, _ in await deliveries(app)}
    assert chats == {everything, admin, drones}
    assert sports not in chats


async def test_a_chat_taking_the_article_three_ways_gets_it_once(app: App) -> None:
    both = await add_chat(
        app,
        "both",
        ALL_NEWS,
        section("행정"),
        keyword("드론"),
    )
    await store_articles(app, draft(1, "드론전문의용소방대 공식 출범", section="행정"))

    assert await run_matcher(app) == 1
    assert [(chat, kind) for _, chat, kind, _ in await deliveries(app)] == [
        (both, DeliveryKind.HEADLINE)
    ]


async def test_inactive_chats_and_unsubscribed_sections_get_nothing(app: App) -> None:
    gone = await add_chat(app, "gone", ALL_NEWS)
    await add_chat(app, "sports", section("스포츠"))
    async with app.sessions() as session:
        await deactivate_chat(session, gone, reason="blocked by the user", now=app.clock.now())
        await session.commit()
    await store_articles(app, draft(1, "행정 소식", section="행정"))

    assert await run_matcher(app) == 0
    assert await deliveries(app) == []


async def test_keywords_are_read_like_search_words(app: App) -> None:
    city = await add_chat(app, "city", keyword("성남시는"))
    both = await add_chat(app, "both", keyword("성남시 드론"))
    await store_articles(
        app,
        draft(1, "성남시의회 예산 심사", lead="성남시가 내년 예산을 제출했다."),
        draft(2, "드론택배 확대", lead="성남시는 드론택배를 넓힌다."),
        draft(3, "수원 교통 소식"),
    )

    await run_matcher(app)

    got = {(article, chat) for article, chat, _, _ in await deliveries(app)}
    assert got == {(1, city), (2, city), (2, both)}


async def test_breaking_news_is_its_own_kind_and_goes_first(app: App, clock: FixedClock) -> None:
    await add_chat(app, "all", ALL_NEWS)
    await store_articles(app, draft(1, "평범한 소식"))
    await store_articles(app, draft(2, "[속보] 물류창고 화재", is_breaking=True))
    await run_matcher(app)

    async with app.sessions() as session:
        claimed = await claim(session, owner="w1", now=clock.now(), lease=LEASE, limit=10)
        await session.commit()

    assert [c.kind for c in claimed] == ["breaking", "headline"]


async def test_a_correction_goes_only_to_chats_that_got_the_article(
    app: App, clock: FixedClock
) -> None:
    early = await add_chat(app, "early", ALL_NEWS)
    await store_articles(app, draft(1, "성남시 예산 4조"))
    await run_matcher(app)
    async with app.sessions() as session:
        [job] = await claim(session, owner="w1", now=clock.now(), lease=LEASE, limit=10)
        await mark_sent(session, [(job.id, "m-100")], now=clock.now())
        await session.commit()
    await add_chat(app, "late", ALL_NEWS)

    clock.advance(minutes=5)
    await store_articles(app, draft(1, "성남시 예산 4조1천억"))  # same article, corrected title
    await run_matcher(app)

    corrections = [(a, c) for a, c, k, _ in await deliveries(app) if k is DeliveryKind.CORRECTION]
    assert corrections == [(1, early)]


async def test_a_correction_reaches_a_copy_that_was_on_its_way_with_the_old_text(
    app: App, clock: FixedClock
) -> None:
    chat = await add_chat(app, "reader", ALL_NEWS)
    await store_articles(app, draft(1, "성남시 예산 4조"))
    await run_matcher(app)
    async with app.sessions() as session:  # at the platform, its outcome not yet stored
        [copy] = await claim(session, owner="w1", now=clock.now(), lease=LEASE, limit=10)
        await session.commit()

    clock.advance(seconds=1)
    await store_articles(app, draft(1, "성남시 예산 4조1천억"))
    await run_matcher(app)
    async with app.sessions() as session:
        waiting = await claim(session, owner="w2", now=clock.now(), lease=LEASE, limit=10)
        await mark_sent(session, [(copy.id, "m-100")], now=clock.now())
        await session.commit()
    clock.advance(seconds=LEASE.total_seconds())
    async with app.sessions() as session:
        [correction] = await claim(session, owner="w2", now=clock.now(), lease=LEASE, limit=10)
        await session.commit()

    assert waiting == []  # not before the copy it corrects is recorded
    assert (correction.chat_id, correction.kind) == (chat, DeliveryKind.CORRECTION)


async def test_a_copy_not_yet_claimed_needs_no_correction(app: App, clock: FixedClock) -> None:
    await add_chat(app, "reader", ALL_NEWS)
    await store_articles(app, draft(1, "성남시 예산 4조"))
    await run_matcher(app)

    await store_articles(app, draft(1, "성남시 예산 4조1천억"))  # before any send
    await run_matcher(app)

    assert [k for _, _, k, _ in await deliveries(app)] == [DeliveryKind.HEADLINE]


async def test_a_lease_keeps_others_off_until_it_expires(app: App, clock: FixedClock) -> None:
    await add_chat(app, "all", ALL_NEWS)
    await store_articles(app, draft(1, "기사"))
    await run_matcher(app)

    async with app.sessions() as session:
        first = await claim(session, owner="w1", now=clock.now(), lease=LEASE, limit=10)
        await session.commit()
    async with app.sessions() as session:
        meanwhile = await claim(session, owner="w2", now=clock.now(), lease=LEASE, limit=10)
        await session.commit()
    clock.advance(seconds=31)  # w1 died without settling
    async with app.sessions() as session:
        later = await claim(session, owner="w2", now=clock.now(), lease=LEASE, limit=10)
        await session.commit()

    assert len(first) == 1 and meanwhile == []
    assert [c.id for c in later] == [first[0].id]
    assert later[0].attempts == 2


async def test_a_headline_put_back_to_wait_is_not_overtaken_by_newer_ones(
    app: App, clock: FixedClock
) -> None:
    await add_chat(app, "reader", ALL_NEWS)
    await store_articles(app, draft(1, "먼저 온 기사"))
    await run_matcher(app)
    async with app.sessions() as session:  # claimed, then put back to wait for the chat's pace
        [older] = await claim(session, owner="w1", now=clock.now(), lease=LEASE, limit=1)
        await retry_later(
            session, older.id, due_at=clock.now() + timedelta(seconds=3), reason="paced"
        )
        await session.commit()
    clock.advance(seconds=1)
    await store_articles(app, draft(2, "나중에 온 기사"))
    await run_matcher(app)

    clock.advance(seconds=5)
    async with app.sessions() as session:
        [first] = await claim(session, owner="w2", now=clock.now(), lease=LEASE, limit=1)
        await session.commit()

    assert first.id == older.id


async def test_settled_rows_are_never_claimed_again(app: App, clock: FixedClock) -> None:
    for n in range(3):
        await add_chat(app, f"c{n}", ALL_NEWS)
    await store_articles(app, draft(1, "기사"))
    await run_matcher(app)
    async with app.sessions() as session:
        a, b, c = await claim(session, owner="w1", now=clock.now(), lease=LEASE, limit=10)
        await mark_sent(session, [(a.id, "m1")], now=clock.now())
        await mark_failed(session, b.id, reason="message is too long")
        await retry_later(
            session, c.id, due_at=clock.now() + timedelta(seconds=7), reason="429: retry after 7"
        )
        await session.commit()

    clock.advance(seconds=40)
    async with app.sessions() as session:
        again = await claim(session, owner="w2", now=clock.now(), lease=LEASE, limit=10)
        await session.commit()

    assert [job.id for job in again] == [c.id]


async def test_a_gone_chat_is_deactivated_and_its_pending_rows_dropped(
    app: App, clock: FixedClock
) -> None:
    blocked = await add_chat(app, "blocked", ALL_NEWS)
    await store_articles(app, draft(1, "하나"), draft(2, "둘"))
    await run_matcher(app)

    async with app.sessions() as session:
        dropped = await deactivate_chat(
            session, blocked, reason="bot was blocked by the user", now=clock.now()
        )
        await session.commit()
    await store_articles(app, draft(3, "셋"))
    await run_matcher(app)

    assert dropped == 2
    states = [(a, s) for a, _, _, s in await deliveries(app)]
    assert states == [(1, DeliveryState.DROPPED), (2, DeliveryState.DROPPED)]
    async with app.sessions() as session:
        chat = await session.get(Chat, blocked)
        assert chat is not None and not chat.active
        assert chat.inactive_reason == "bot was blocked by the user"


async def test_subscribing_twice_is_one_subscription_and_bad_keywords_are_refused(
    app: App, clock: FixedClock
) -> None:
    async with app.sessions() as session:
        chat = await chat_in(session, "x", now=clock.now())
        _, created = await subscribe(
            session, chat, SubscriptionKind.KEYWORD, "드론", now=clock.now()
        )
        _, again = await subscribe(
            session, chat, SubscriptionKind.KEYWORD, " 드론 ", now=clock.now()
        )
        with pytest.raises(InputError, match="letters or digits"):
            await subscribe(session, chat, SubscriptionKind.KEYWORD, "🙂 ***", now=clock.now())
        removed = await unsubscribe(session, chat, SubscriptionKind.KEYWORD, "드론")
        await session.commit()

    assert (created, again, removed) == (True, False, 1)


async def test_thousands_of_subscribers_get_one_row_each(app: App) -> None:
    async with app.sessions() as session:
        for n in range(1000):
            await chat_in(session, f"c{n}", ALL_NEWS, now=app.clock.now())
        await session.commit()
    await store_articles(app, draft(1, "모두에게"))

    assert await run_matcher(app) == 1000
    async with app.sessions() as session:
        count = await session.scalar(select(func.count()).select_from(Delivery))
    assert count == 1000


async def test_old_articles_reaching_the_store_are_not_pushed(app: App) -> None:
    await add_chat(app, "all", ALL_NEWS)
    archive = draft(1, "3년 전 기사", published_at=datetime(2023, 11, 20, tzinfo=UTC))
    await store_articles(app, archive, draft(2, "오늘 기사"))

    async with app.sessions() as session:
        report = await match_pending(session, default_analyzer(), now=app.clock.now())
        await session.commit()

    assert (report.events, report.stale, report.deliveries) == (2, 1, 1)


async def test_a_claim_walks_the_index_of_pending_rows_instead_of_sorting_them(
    app: App, clock: FixedClock
) -> None:
    """At Telegram's default pace a day's fan-out leaves hundreds of thousands of rows
    waiting; a claim that read and sorted them all took 285 ms on PostgreSQL. The plan is
    checked on SQLite, whose choice does not depend on table statistics."""
    if app.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's plan depends on statistics; its claim uses the same index")
    statements: list[tuple[str, tuple[object, ...]]] = []

    def record(
        _conn: object, _cursor: object, sql: str, params: tuple[object, ...], *_: object
    ) -> None:
        if sql.lstrip().startswith("UPDATE deliveries"):
            statements.append((sql, params))

    event.listen(app.engine.sync_engine, "before_cursor_execute", record)
    try:
        async with app.sessions() as session:
            await claim(session, owner="w", now=clock.now(), lease=LEASE, limit=500)
            await session.commit()
    finally:
        event.remove(app.engine.sync_engine, "before_cursor_execute", record)
    [(sql, params)] = statements
    async with app.engine.connect() as connection:
        plan = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
        steps = [row._mapping["detail"] for row in plan]
    # The subquery walks the index in claim order (no sort); the UPDATE finds its rows by id.
    assert steps == [
        "SEARCH deliveries USING INTEGER PRIMARY KEY (rowid=?)",
        "LIST SUBQUERY 1",
        "SCAN deliveries USING INDEX ix_deliveries_claim",
    ]


async def match_one_call(app: App, *, chunk: int) -> MatchReport:
    async with app.sessions() as session:
        report = await match_pending(
            session, default_analyzer(), now=app.clock.now(), first_chunk=chunk, chunk=chunk
        )
        await session.commit()
    return report


async def test_a_fan_out_is_written_a_committed_chunk_at_a_time(app: App) -> None:
    """Dispatchers can start on the first readers while the rest are still being written,
    and a matcher that stops between chunks goes on where the last commit left it."""
    plain = [await add_chat(app, f"all{n}", ALL_NEWS) for n in range(5)]
    by_keyword = await add_chat(app, "kw", keyword("드론"))
    await store_articles(app, draft(1, "드론 택배"))

    first = await match_one_call(app, chunk=2)

    assert (first.events, first.unfinished, first.deliveries) == (1, 1, 3)
    assert {chat for _, chat, _, _ in await deliveries(app)} == {by_keyword, *plain[:2]}
    async with app.sessions() as session:
        event = await session.scalar(select(ArticleEvent))
        assert event is not None
        assert (event.matched, event.matched_through) == (False, plain[1])

    rest = [await match_one_call(app, chunk=2) for _ in range(3)]  # a fresh session each

    assert [(r.events, r.unfinished, r.deliveries) for r in rest] == [
        (1, 1, 2),
        (1, 0, 1),  # the last chat: nothing is left beyond it
        (0, 0, 0),
    ]
    written = [chat for _, chat, _, _ in await deliveries(app)]
    assert sorted(written) == sorted([by_keyword, *plain])  # each chat once


async def test_a_fan_out_under_way_is_finished_however_old_its_article_gets(
    app: App, clock: FixedClock
) -> None:
    """Whether an article is too old to push is judged once, when its fan-out starts: the
    rest of its readers are not dropped because the clock moved on meanwhile."""
    chats = [await add_chat(app, f"all{n}", ALL_NEWS) for n in range(4)]
    yesterday = clock.now() - timedelta(hours=23, minutes=59)
    await store_articles(app, draft(1, "어제 이맘때 기사", published_at=yesterday))
    first = await match_one_call(app, chunk=2)
    clock.advance(minutes=5)  # a slow or restarted matcher

    while (await match_one_call(app, chunk=2)).events:
        pass

    assert first.stale == 0
    assert sorted(chat for _, chat, _, _ in await deliveries(app)) == sorted(chats)


async def test_a_chat_given_the_article_mid_fan_out_is_not_given_it_again(app: App) -> None:
    """A reader the matcher has yet to reach subscribes to a keyword the breaking story
    matches: /subscribe queues it as a headline, and the matcher's next chunk must not add
    the breaking copy too."""
    early = [await add_chat(app, f"all{n}", ALL_NEWS) for n in range(2)]
    reader = await add_chat(app, "reader", ALL_NEWS)
    await store_articles(app, draft(1, "[속보] 드론 추락", is_breaking=True))
    await match_one_call(app, chunk=2)  # the first two chats
    async with app.sessions() as session:
        chat = await session.get(Chat, reader)
        assert chat is not None
        result = await subscribe_with_recent(
            session,
            chat,
            SubscriptionKind.KEYWORD,
            "드론",
            now=app.clock.now(),
            analyzer=default_analyzer(),
        )
        await session.commit()

    while (await match_one_call(app, chunk=2)).events:
        pass

    assert result.queued == 1
    rows = [(chat, kind) for _, chat, kind, _ in await deliveries(app)]
    assert sorted(rows) == [
        (early[0], DeliveryKind.BREAKING),
        (early[1], DeliveryKind.BREAKING),
        (reader, DeliveryKind.HEADLINE),  # one copy, the one /subscribe queued
    ]
