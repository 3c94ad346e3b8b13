"""The digest tick: due chats get one digest per local date, on time, late or not at all.

Every test moves the injected clock and runs the tick as the leader's job would; none waits
for a real minute.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from newsbot.app import App, open_app
from newsbot.clock import FixedClock
from newsbot.delivery import outbox
from newsbot.delivery.chat_settings import set_quiet_hours
from newsbot.digest.content import decode
from newsbot.store.delivery_models import Chat, Delivery, DeliveryState, DigestState
from newsbot.store.models import Article
from tests.builders import section
from tests.conftest import make_settings
from tests.digest_helpers import (
    DAY,
    EIGHT_KST,
    SEOUL,
    articles_with_views,
    digest_chat,
    digest_deliveries,
    digests_of,
    next_digest_at,
    tick,
)

NEW_YORK = ZoneInfo("America/New_York")
VIEWS = [5, 90, 40, 70, 10, 80, 60, 30, 20, 50]  # ten articles; ids ranked by these


async def ready(app: App, clock: FixedClock) -> tuple[int, list[int]]:
    """A Seoul chat with its digest at 08:00, ten viewed articles, the clock at 07:00."""
    clock.set(EIGHT_KST - timedelta(hours=1))
    ids = await articles_with_views(app, VIEWS, published=EIGHT_KST - timedelta(hours=20))
    return await digest_chat(app, "reader"), ids


def most_viewed(ids: list[int], count: int = 7) -> list[int]:
    return [i for _, i in sorted(zip(VIEWS, ids, strict=True), reverse=True)][:count]


async def test_a_chat_gets_its_digest_at_its_minute_and_only_once(
    app: App, clock: FixedClock
) -> None:
    chat, ids = await ready(app, clock)

    clock.set(EIGHT_KST - timedelta(seconds=1))
    assert (await tick(app)).queued == 0
    clock.set(EIGHT_KST + timedelta(seconds=30))
    assert (await tick(app)).queued == 1
    for minutes in (1, 2, 60, 600):  # the rest of the day's ticks
        clock.set(EIGHT_KST + timedelta(minutes=minutes))
        assert (await tick(app)).queued == 0

    [digest] = await digests_of(app, chat)
    assert (digest.local_date, digest.state, digest.fell_back) == (DAY, DigestState.QUEUED, False)
    assert decode(digest.article_ids) == most_viewed(ids)
    [row] = await digest_deliveries(app, chat)
    assert (row.state, row.article_id, row.digest_id) == (DeliveryState.PENDING, None, digest.id)
    assert await next_digest_at(app, chat) == EIGHT_KST + timedelta(days=1)


async def test_the_next_day_brings_the_next_digest(app: App, clock: FixedClock) -> None:
    chat, _ = await ready(app, clock)
    for day in range(3):
        clock.set(EIGHT_KST + timedelta(days=day, minutes=1))
        report = await tick(app)
        assert report.queued + report.empty == 1  # no news at all by the third day

    assert [d.local_date for d in await digests_of(app, chat)] == [
        DAY,
        date(2026, 12, 8),
        date(2026, 12, 9),
    ]


async def test_a_missed_tick_is_made_up_by_the_next(app: App, clock: FixedClock) -> None:
    chat, _ = await ready(app, clock)
    clock.set(EIGHT_KST + timedelta(minutes=17))  # the ticks of 08:00-08:16 never ran

    assert (await tick(app)).queued == 1
    assert len(await digest_deliveries(app, chat)) == 1


async def test_downtime_inside_the_grace_sends_late_once(app: App, clock: FixedClock) -> None:
    chat, _ = await ready(app, clock)
    clock.set(EIGHT_KST + timedelta(hours=2, minutes=59))

    report = await tick(app)
    assert (report.queued, report.dropped) == (1, 0)
    clock.advance(minutes=1)
    assert (await tick(app)).queued == 0
    assert len(await digest_deliveries(app, chat)) == 1


async def test_downtime_beyond_the_grace_drops_the_digest_and_counts_it(
    app: App, clock: FixedClock
) -> None:
    chat, _ = await ready(app, clock)
    clock.set(EIGHT_KST + timedelta(hours=3, minutes=1))

    report = await tick(app)

    assert (report.queued, report.dropped) == (0, 1)
    assert [d.state for d in await digests_of(app, chat)] == [DigestState.DROPPED]
    assert await digest_deliveries(app, chat) == []
    # Tomorrow's goes as usual.
    assert await next_digest_at(app, chat) == EIGHT_KST + timedelta(days=1)
    clock.set(EIGHT_KST + timedelta(days=1))
    assert (await tick(app)).queued == 1


async def test_days_of_downtime_drop_the_missed_digests_and_send_todays(
    app: App, clock: FixedClock
) -> None:
    chat, _ = await ready(app, clock)
    clock.set(EIGHT_KST + timedelta(days=3, hours=1))  # down from Monday 07:00 to Thursday

    report = await tick(app)

    # Thursday's is on time; its window (Wednesday and Thursday) has no news, and the chat
    # asked for no note of that.
    assert (report.empty, report.dropped) == (1, 3)
    states = [(d.local_date.day, d.state) for d in await digests_of(app, chat)]
    assert states == [
        (7, DigestState.DROPPED),
        (8, DigestState.DROPPED),
        (9, DigestState.DROPPED),
        (10, DigestState.EMPTY),
    ]


async def test_a_restart_at_the_digest_minute_neither_skips_nor_doubles(
    database_url: str, clock: FixedClock
) -> None:
    """The tick of 08:00 runs in one process, which dies; the next one's first tick, in the
    same minute, finds the digest written."""
    settings = make_settings(database_url)
    async with open_app(settings, clock=clock) as first:
        chat, _ = await ready(first, clock)
        clock.set(EIGHT_KST + timedelta(seconds=10))
        assert (await tick(first)).queued == 1
    async with open_app(settings, clock=clock) as second:
        clock.set(EIGHT_KST + timedelta(seconds=40))
        assert (await tick(second)).queued == 0
        assert len(await digest_deliveries(second, chat)) == 1


async def test_a_second_process_ticking_from_an_old_schedule_writes_nothing_twice(
    app: App, clock: FixedClock
) -> None:
    """A leader that lost its lock mid-tick (its read of the due chats is stale) and the new
    leader both write 08:00's digest: the unique (chat, local date) keeps one."""
    chat, _ = await ready(app, clock)
    clock.set(EIGHT_KST + timedelta(seconds=5))
    assert (await tick(app)).queued == 1
    async with app.sessions() as session:  # as the old leader saw the chat
        stale = await session.get(Chat, chat)
        assert stale is not None
        stale.digest_next_at = EIGHT_KST.astimezone(UTC)
        await session.commit()

    report = await tick(app)

    assert report.queued == 0
    assert len(await digest_deliveries(app, chat)) == 1
    assert await next_digest_at(app, chat) == EIGHT_KST + timedelta(days=1)


async def test_a_digest_due_in_quiet_hours_waits_for_their_end(app: App, clock: FixedClock) -> None:
    clock.set(EIGHT_KST - timedelta(hours=1))
    await articles_with_views(app, VIEWS, published=EIGHT_KST - timedelta(hours=20))
    chat = await digest_chat(app, "sleeper", quiet=(23 * 60, 9 * 60))
    clock.set(EIGHT_KST + timedelta(minutes=1))

    assert (await tick(app)).queued == 1
    [row] = await digest_deliveries(app, chat)
    assert row.due_at == EIGHT_KST + timedelta(hours=1)
    async with app.sessions() as session:
        claimed = await outbox.claim(
            session, owner="t", now=clock.now(), lease=timedelta(minutes=1), limit=10
        )
        assert claimed == []  # not before 09:00
        claimed = await outbox.claim(
            session,
            owner="t",
            now=EIGHT_KST + timedelta(hours=1),
            lease=timedelta(minutes=1),
            limit=10,
        )
        assert [c.digest_id for c in claimed] == [row.digest_id]


async def test_a_section_limited_digest_lists_only_its_sections(
    app: App, clock: FixedClock
) -> None:
    clock.set(EIGHT_KST - timedelta(hours=1))
    sections: list[str | None] = ["경제", "사회"] * 5
    ids = await articles_with_views(
        app, VIEWS, published=EIGHT_KST - timedelta(hours=20), sections=sections
    )
    economy = await digest_chat(app, "economy", section("경제"))
    everything = await digest_chat(app, "all", section("경제"), scope="all", size=3)
    clock.set(EIGHT_KST)

    report = await tick(app)

    assert (report.queued, report.variants) == (2, 2)
    [limited] = await digests_of(app, economy)
    wanted = [i for v, i, s in sorted(zip(VIEWS, ids, sections, strict=True), reverse=True)]
    assert decode(limited.article_ids) == [i for i in wanted if sections[ids.index(i)] == "경제"]
    [whole] = await digests_of(app, everything)
    assert decode(whole.article_ids) == wanted[:3]


async def test_no_views_lists_the_latest_of_the_window_and_says_so(
    app: App, clock: FixedClock
) -> None:
    clock.set(EIGHT_KST - timedelta(hours=1))
    ids = await articles_with_views(app, [0] * 4, published=EIGHT_KST - timedelta(hours=5))
    await articles_with_views(app, [0], published=EIGHT_KST - timedelta(days=3))  # too old
    chat = await digest_chat(app, "reader")
    clock.set(EIGHT_KST)

    await tick(app)

    [digest] = await digests_of(app, chat)
    assert digest.fell_back
    assert decode(digest.article_ids) == list(reversed(ids))


@pytest.mark.parametrize(("note", "delivered"), [(False, 0), (True, 1)])
async def test_an_empty_window_sends_a_note_only_when_asked(
    app: App, clock: FixedClock, note: bool, delivered: int
) -> None:
    clock.set(EIGHT_KST - timedelta(hours=1))
    chat = await digest_chat(app, "reader", empty_note=note)
    clock.set(EIGHT_KST)

    await tick(app)

    [digest] = await digests_of(app, chat)
    assert digest.state == (DigestState.QUEUED if note else DigestState.EMPTY)
    assert len(await digest_deliveries(app, chat)) == delivered


async def test_a_weekly_digest_comes_on_its_weekday_only(app: App, clock: FixedClock) -> None:
    clock.set(EIGHT_KST - timedelta(hours=1))
    await articles_with_views(app, VIEWS, published=EIGHT_KST - timedelta(days=3))
    chat = await digest_chat(app, "weekly", weekday=3)  # Thursdays
    for day in range(8):
        clock.set(EIGHT_KST + timedelta(days=day, minutes=1))
        await tick(app)

    [digest] = await digests_of(app, chat)
    assert (digest.local_date, digest.weekly) == (date(2026, 12, 10), True)
    assert len(decode(digest.article_ids)) == 7  # the week's views, not just the day's


# --- daylight saving ----------------------------------------------------------------------


async def ticks_over(app: App, clock: FixedClock, start: datetime, hours: int) -> list[datetime]:
    """Tick every minute for ``hours`` from ``start``; the moments a digest was queued."""
    queued = []
    moment = start.astimezone(UTC)  # minutes of real time: local wall-clock sums skip gaps
    while moment < start.astimezone(UTC) + timedelta(hours=hours):
        clock.set(moment)
        if (await tick(app)).queued:
            queued.append(moment)
        moment += timedelta(minutes=1)
    return queued


async def test_a_digest_in_a_missing_hour_goes_at_the_first_minute_after(
    app: App, clock: FixedClock
) -> None:
    """New York springs forward at 02:00 on 8 March 2026: there is no 02:30 that day."""
    clock.set(datetime(2026, 3, 7, 12, 0, tzinfo=NEW_YORK))
    chat = await digest_chat(app, "ny", at="02:30", zone="America/New_York", empty_note=True)

    queued = await ticks_over(app, clock, datetime(2026, 3, 8, 0, 0, tzinfo=NEW_YORK), 5)

    assert queued == [datetime(2026, 3, 8, 3, 0, tzinfo=NEW_YORK).astimezone(UTC)]
    assert [d.local_date for d in await digests_of(app, chat)] == [date(2026, 3, 8)]
    # The day after has its 02:30 again, now in daylight time.
    assert await next_digest_at(app, chat) == datetime(2026, 3, 9, 2, 30, tzinfo=NEW_YORK)


async def test_a_digest_in_a_repeated_hour_goes_once(app: App, clock: FixedClock) -> None:
    """New York falls back at 02:00 on 1 November 2026: 01:30 happens twice."""
    clock.set(datetime(2026, 10, 31, 12, 0, tzinfo=NEW_YORK))
    chat = await digest_chat(app, "ny", at="01:30", zone="America/New_York", empty_note=True)

    queued = await ticks_over(app, clock, datetime(2026, 11, 1, 0, 0, tzinfo=NEW_YORK), 4)

    # The first 01:30 (daylight time, fold 0): 05:30 UTC; the second would be 06:30 UTC.
    # (Compared in UTC: Python never finds a time of a repeated hour equal across zones.)
    assert queued == [datetime(2026, 11, 1, 5, 30, tzinfo=UTC)]
    assert len(await digests_of(app, chat)) == 1


async def test_a_zone_without_daylight_saving_keeps_its_minute_all_year(
    app: App, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 3, 7, 12, 0, tzinfo=SEOUL))
    chat = await digest_chat(app, "seoul", at="02:30", empty_note=True)

    queued = await ticks_over(app, clock, datetime(2026, 3, 8, 0, 0, tzinfo=SEOUL), 5)

    assert queued == [datetime(2026, 3, 8, 2, 30, tzinfo=SEOUL).astimezone(UTC)]
    assert len(await digests_of(app, chat)) == 1


async def test_claimed_digest_rows_name_their_digest(app: App, clock: FixedClock) -> None:
    chat, _ = await ready(app, clock)
    clock.set(EIGHT_KST)
    await tick(app)
    async with app.sessions() as session:
        [claimed] = await outbox.claim(
            session, owner="t", now=clock.now(), lease=timedelta(minutes=1), limit=10
        )
        row = await session.scalar(select(Delivery).where(Delivery.chat_id == chat))
        assert row is not None
        assert (claimed.article_id, claimed.digest_id) == (None, row.digest_id)
        assert await session.scalar(select(Article.id).limit(1)) is not None


async def test_ending_quiet_hours_releases_a_waiting_digest(app: App, clock: FixedClock) -> None:
    clock.set(EIGHT_KST - timedelta(hours=1))
    chat = await digest_chat(app, "sleeper", quiet=(23 * 60, 9 * 60), empty_note=True)
    clock.set(EIGHT_KST + timedelta(minutes=1))
    await tick(app)
    clock.set(EIGHT_KST + timedelta(minutes=5))

    async with app.sessions() as session:
        found = await session.get(Chat, chat)
        assert found is not None
        await set_quiet_hours(session, found, None, now=clock.now())
        await session.commit()

    [row] = await digest_deliveries(app, chat)
    assert row.due_at == EIGHT_KST + timedelta(minutes=5)


async def test_a_digest_time_set_without_a_schedule_is_scheduled_by_the_tick(
    app: App, clock: FixedClock
) -> None:
    """As a time stored before migration 0011 was: the first tick gives it its moment."""
    clock.set(EIGHT_KST - timedelta(hours=1))
    chat = await digest_chat(app, "old", empty_note=True)
    async with app.sessions() as session:
        found = await session.get(Chat, chat)
        assert found is not None
        found.digest_next_at = None
        await session.commit()

    assert (await tick(app)).queued == 0
    assert await next_digest_at(app, chat) == EIGHT_KST
    clock.set(EIGHT_KST)
    assert (await tick(app)).queued == 1
