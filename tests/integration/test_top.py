"""Most viewed (가장 많이 본 뉴스): calendar days in the newsroom's zone, or the latest."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select

from newsbot.app import App
from newsbot.clock import FixedClock, SystemClock
from newsbot.ranking import Top, Window, latest_articles, most_viewed, top_articles, window_days
from newsbot.store.articles import store_drafts
from newsbot.store.models import Article, ViewWindow
from newsbot.store.views import ViewCount, store_view_counts
from tests.builders import draft
from tests.conftest import SAMPLES
from tests.helpers import load_samples, run_cli

SEOUL = ZoneInfo("Asia/Seoul")
NOON_22 = datetime(2026, 11, 22, 12, 0, tzinfo=SEOUL)  # the samples' last day of views
LAST_DAY = date(2026, 11, 22)
NO_VIEWS = datetime(2027, 1, 15, 12, 0, tzinfo=SEOUL)


async def top(app: App, window: Window, *, limit: int = 7, section: str | None = None) -> Top:
    async with app.sessions() as session:
        return await top_articles(
            session,
            window=window,
            now=app.clock.now(),
            zone=app.settings.zone,
            limit=limit,
            section=section,
        )


def ranking(result: Top) -> list[tuple[str | None, int | None]]:
    return [(entry.article.guid, entry.views) for entry in result.entries]


# --- windows -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("window", "now", "days"),
    [
        (Window.DAY, NOON_22, (LAST_DAY, LAST_DAY)),
        (Window.WEEK, NOON_22, (date(2026, 11, 16), LAST_DAY)),
        (Window.MONTH, NOON_22, (date(2026, 10, 24), LAST_DAY)),
        # 00:30 in Seoul is still the previous day in UTC: the newsroom's day counts.
        (Window.DAY, datetime(2026, 11, 21, 15, 30, tzinfo=UTC), (LAST_DAY, LAST_DAY)),
        (Window.DAY, datetime(2026, 11, 22, 23, 59, tzinfo=SEOUL), (LAST_DAY, LAST_DAY)),
    ],
)
def test_a_window_is_calendar_days_ending_today_in_the_newsroom_zone(
    window: Window, now: datetime, days: tuple[date, date]
) -> None:
    assert window_days(window, now, SEOUL) == days


async def test_each_window_ranks_the_views_of_its_own_days(app: App, clock: FixedClock) -> None:
    clock.set(NOON_22)
    await load_samples(app)

    tops = {window: await top(app, window) for window in Window}
    async with app.sessions() as session:
        expected = {
            window: [
                (r.article.guid, r.views)
                for r in await most_viewed(session, first_day=first, last_day=last, limit=7)
            ]
            for window, (first, last) in ((w, window_days(w, NOON_22, SEOUL)) for w in Window)
        }

    assert {w: ranking(t) for w, t in tops.items()} == expected
    assert len({tuple(ranking(t)) for t in tops.values()}) == 3  # three different lists
    assert not any(t.fell_back for t in tops.values())
    assert ranking(tops[Window.DAY])[0] == ("gn-2026-1065", 5_350)
    assert ranking(tops[Window.WEEK])[0] == ("gn-2026-1034", 12_467)
    assert ranking(tops[Window.MONTH])[:2] == [("gn-2026-1034", 14_900), ("gn-2026-1025", 13_204)]
    for result in tops.values():
        views = [entry.views or 0 for entry in result.entries]
        assert len(views) == 7
        assert views == sorted(views, reverse=True)


async def test_a_section_filter_ranks_only_that_section(app: App, clock: FixedClock) -> None:
    clock.set(NOON_22)
    await load_samples(app)

    sports = await top(app, Window.MONTH, section="스포츠", limit=3)
    async with app.sessions() as session:
        expected = await most_viewed(
            session, first_day=date(2026, 10, 24), last_day=LAST_DAY, limit=3, section="스포츠"
        )

    assert len(sports.entries) == 3
    assert {entry.article.section for entry in sports.entries} == {"스포츠"}
    assert ranking(sports) == [(r.article.guid, r.views) for r in expected]
    assert ranking(sports)[0][0] == "gn-2026-1034"  # 성남FC's comeback win


async def test_equal_views_go_to_the_more_recent_article(app: App, clock: FixedClock) -> None:
    clock.set(NOON_22)
    drafts = [
        draft(day, f"{day}일 기사", published_at=datetime(2026, 11, day, 9, 0, tzinfo=SEOUL))
        for day in (18, 20, 19)
    ]
    async with app.sessions() as session:
        stored = await store_drafts(session, drafts, now=app.clock.now())
        await store_view_counts(session, [ViewCount(s.article_id, LAST_DAY, 100) for s in stored])
        await session.commit()

    result = await top(app, Window.DAY)

    assert [e.article.title for e in result.entries] == ["20일 기사", "19일 기사", "18일 기사"]
    assert [e.views for e in result.entries] == [100, 100, 100]


# --- totals stay true to the counts -----------------------------------------------------


async def three_articles_with_views(app: App, views: tuple[int, int, int]) -> list[int]:
    drafts = [
        draft(n, f"기사 {n}", published_at=datetime(2026, 11, 20, 9, n, tzinfo=SEOUL))
        for n in range(3)
    ]
    async with app.sessions() as session:
        stored = await store_drafts(session, drafts, now=app.clock.now())
        await store_view_counts(
            session,
            [ViewCount(s.article_id, LAST_DAY, v) for s, v in zip(stored, views, strict=True)],
        )
        await session.commit()
    return [s.article_id for s in stored]


async def test_new_view_counts_change_the_ranking_at_once(app: App, clock: FixedClock) -> None:
    clock.set(NOON_22)
    ids = await three_articles_with_views(app, (30, 20, 10))
    before = await top(app, Window.WEEK)

    async with app.sessions() as session:
        await store_view_counts(session, [ViewCount(ids[2], LAST_DAY, 99)])
        await session.commit()
    after = await top(app, Window.WEEK)

    assert [e.article.title for e in before.entries] == ["기사 0", "기사 1", "기사 2"]
    assert [(e.article.title, e.views) for e in after.entries] == [
        ("기사 2", 99),
        ("기사 0", 30),
        ("기사 1", 20),
    ]


async def test_a_deleted_article_leaves_the_ranking(app: App, clock: FixedClock) -> None:
    clock.set(NOON_22)
    ids = await three_articles_with_views(app, (30, 20, 10))
    await top(app, Window.DAY)

    async with app.sessions() as session:
        await session.execute(delete(Article).where(Article.id == ids[0]))
        await session.commit()

    assert [e.article.title for e in (await top(app, Window.DAY)).entries] == ["기사 1", "기사 2"]


async def test_totals_are_summed_once_per_change_of_the_counts(app: App, clock: FixedClock) -> None:
    clock.set(NOON_22)
    await three_articles_with_views(app, (30, 20, 10))

    await top(app, Window.DAY)
    await top(app, Window.WEEK)
    async with app.sessions() as session:
        first = {
            (w.first_day, w.generation): w.built_at
            for w in await session.scalars(select(ViewWindow))
        }
    await top(app, Window.DAY, section="스포츠")
    await top(app, Window.WEEK)
    async with app.sessions() as session:
        again = {
            (w.first_day, w.generation): w.built_at
            for w in await session.scalars(select(ViewWindow))
        }

    assert len(first) == 2
    assert again == first


async def test_a_window_without_views_shows_the_latest_and_says_so(
    app: App, clock: FixedClock
) -> None:
    await load_samples(app)
    clock.set(NO_VIEWS)

    result = await top(app, Window.WEEK)
    sports = await top(app, Window.DAY, section="스포츠", limit=3)
    async with app.sessions() as session:
        latest = await latest_articles(session, limit=7)

    assert result.fell_back
    assert (result.first_day, result.last_day) == (date(2027, 1, 9), date(2027, 1, 15))
    assert [e.article.guid for e in result.entries] == [a.guid for a in latest]
    assert result.entries[0].article.guid == "gn-2026-1066"
    assert {e.views for e in result.entries} == {None}
    assert sports.fell_back
    assert {e.article.section for e in sports.entries} == {"스포츠"}


async def test_an_empty_store_has_nothing_to_show(app: App) -> None:
    result = await top(app, Window.DAY)

    assert result.fell_back
    assert result.entries == []


# --- the command line --------------------------------------------------------------------


run = run_cli


@pytest.fixture
def store(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", database_url)
    return database_url


@pytest.fixture
def imported(store: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert run(capsys, "import", str(SAMPLES / "articles.ndjson"))[0] == 0
    code, out, err = run(capsys, "views", "import", str(SAMPLES / "views.csv"))
    assert code == 0, err
    assert "rejected 0" in out
    return store


def pin_system_clock(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    """The command reads the system clock; pin it so the window is known."""
    monkeypatch.setattr(SystemClock, "now", lambda _self: moment.astimezone(UTC))


def test_top_json_lists_articles_with_their_views(
    capsys: pytest.CaptureFixture[str], imported: str
) -> None:
    code, out, err = run(capsys, "top", "--window", "week", "--json")

    assert code == 0, err
    rows = json.loads(out)
    assert 0 < len(rows) <= 7
    for row in rows:
        assert {"id", "title", "url", "section", "published_at", "revision", "views"} <= row.keys()
    views = [row["views"] for row in rows]
    if None in views:  # the system clock is past the samples: the latest instead
        assert set(views) == {None}
    else:
        assert views == sorted(views, reverse=True)


def test_top_json_for_the_samples_last_week(
    capsys: pytest.CaptureFixture[str], imported: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pin_system_clock(monkeypatch, NOON_22)

    rows = json.loads(run(capsys, "top", "--window", "week", "--json", "--limit", "3")[1])

    assert [(row["guid"], row["views"]) for row in rows] == [
        ("gn-2026-1034", 12_467),
        ("gn-2026-1048", 8_118),
        ("gn-2026-1042", 7_560),
    ]


def test_top_prints_the_window_and_the_views(
    capsys: pytest.CaptureFixture[str], imported: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pin_system_clock(monkeypatch, NOON_22)

    code, out, _ = run(capsys, "top", "--window", "week")

    assert code == 0
    assert "가장 많이 본 뉴스 (2026-11-16 – 2026-11-22)" in out
    assert "12,467" in out
    assert "no views recorded" not in out


def test_top_says_when_it_shows_the_latest_instead(
    capsys: pytest.CaptureFixture[str], imported: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pin_system_clock(monkeypatch, NO_VIEWS)

    code, out, _ = run(capsys, "top", "--window", "day", "--section", "스포츠")

    assert code == 0
    assert out.startswith("no views recorded 2027-01-15 – 2027-01-15: showing the latest\n")
    assert "성남FC, 플레이오프 1차전" in out  # the newest sports story


def test_top_with_an_unknown_window_is_a_one_line_usage_error(
    capsys: pytest.CaptureFixture[str], store: str
) -> None:
    code, _, err = run(capsys, "top", "--window", "year")

    assert code == 2
    assert "'year' is not one of" in err
    assert err.count("\n") == 1
