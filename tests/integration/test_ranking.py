"""Most viewed over a window, from the bundled samples' daily counts."""

from __future__ import annotations

from datetime import UTC, date, datetime

from newsbot.app import App
from newsbot.ingest.view_counts import import_views
from newsbot.ranking import latest_articles, latest_view_day, most_viewed
from newsbot.store.articles import store_drafts
from newsbot.store.views import ViewCount, store_view_counts
from tests.builders import draft
from tests.conftest import SAMPLES
from tests.helpers import load_samples


async def test_the_week_and_the_whole_fortnight_rank_differently(app: App) -> None:
    await load_samples(app)

    async with app.sessions() as session:
        week = await most_viewed(
            session, first_day=date(2026, 11, 16), last_day=date(2026, 11, 22), limit=7
        )
        fortnight = await most_viewed(
            session, first_day=date(2026, 11, 9), last_day=date(2026, 11, 22), limit=7
        )

    assert [r.article.guid for r in week][:3] == ["gn-2026-1034", "gn-2026-1048", "gn-2026-1042"]
    assert week[0].views == 12_467
    assert [r.views for r in week] == sorted((r.views for r in week), reverse=True)
    assert [r.article.guid for r in fortnight][:2] == ["gn-2026-1034", "gn-2026-1025"]
    assert fortnight[0].views == 14_900


async def test_a_section_filter_keeps_only_that_section(app: App) -> None:
    await load_samples(app)

    async with app.sessions() as session:
        ranked = await most_viewed(
            session, first_day=date(2026, 11, 9), last_day=date(2026, 11, 22), section="스포츠"
        )

    assert ranked and {r.article.section for r in ranked} == {"스포츠"}


async def test_equal_views_go_to_the_more_recent_article(app: App) -> None:
    drafts = [
        draft(n, f"기사 {n}", published_at=datetime(2026, 11, 10 + n, tzinfo=UTC)) for n in range(3)
    ]
    async with app.sessions() as session:
        stored = await store_drafts(session, drafts, now=app.clock.now())
        await store_view_counts(
            session, [ViewCount(s.article_id, date(2026, 11, 20), 100) for s in stored]
        )
        await session.commit()
        ranked = await most_viewed(
            session, first_day=date(2026, 11, 20), last_day=date(2026, 11, 20)
        )

    assert [r.article.title for r in ranked] == ["기사 2", "기사 1", "기사 0"]


async def test_reimporting_views_replaces_counts_instead_of_adding(app: App) -> None:
    await load_samples(app)
    await import_views(app.sessions, SAMPLES / "views.csv")

    async with app.sessions() as session:
        week = await most_viewed(
            session, first_day=date(2026, 11, 16), last_day=date(2026, 11, 22), limit=1
        )
        assert await latest_view_day(session) == date(2026, 11, 22)
    assert week[0].views == 12_467


async def test_latest_articles_come_newest_first(app: App) -> None:
    await load_samples(app)

    async with app.sessions() as session:
        latest = await latest_articles(session, limit=5)

    times = [a.published_at for a in latest]
    assert times == sorted(times, reverse=True)
    assert latest[0].guid == "gn-2026-1066"
