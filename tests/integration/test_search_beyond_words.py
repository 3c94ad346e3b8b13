"""Search beyond the literal words, on SQLite and PostgreSQL: aliases, typo suggestions,
periods and newest-first order, over the bundled samples (the clock at noon, 22 November
2026 in Seoul, the day of the newest sample).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, text

from newsbot.app import App
from newsbot.clock import FixedClock
from newsbot.search.aliases import (
    add_alias,
    aliases_of,
    import_aliases,
    list_aliases,
    remove_alias,
)
from newsbot.search.engine import SearchResult, search
from newsbot.search.filters import ALL, Sort
from newsbot.search.suggest import Suggestion, suggest
from newsbot.store import migrate
from newsbot.store.engine import make_sync_engine
from newsbot.store.models import Article
from newsbot.store.search_words import words_near
from newsbot.text.analyzer import default_analyzer, fold
from tests.builders import draft, store_articles
from tests.conftest import SAMPLES
from tests.helpers import load_samples, run_cli

KIWI = default_analyzer()
NOON_KST = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
SEOUL = ZoneInfo("Asia/Seoul")
SAMPLE: dict[str, dict[str, Any]] = {
    r["guid"]: r
    for r in map(json.loads, (SAMPLES / "articles.ndjson").read_text("utf-8").splitlines())
}


def written_in(*words: str) -> set[str]:
    """Samples whose title, lead or body contains any of the words."""
    return {
        guid
        for guid, r in SAMPLE.items()
        if any(fold(w) in fold(r[f]) for w in words for f in ("title", "lead", "body"))
    }


def published(guid: str) -> datetime:
    return datetime.fromisoformat(SAMPLE[guid]["published_at"])


@pytest.fixture
async def samples(app: App, clock: FixedClock) -> App:
    clock.set(NOON_KST)
    await load_samples(app, views=False)
    return app


async def find(app: App, text: str, **options: Any) -> SearchResult:
    async with app.sessions() as session:
        return await search(
            session, KIWI, text, now=app.clock.now(), limit=100, zone=SEOUL, **options
        )


def guids(result: SearchResult) -> set[str]:
    return {hit.article.guid or "" for hit in result.hits}


async def suggestions(app: App, text: str) -> list[Suggestion]:
    async with app.sessions() as session:
        result = await search(session, KIWI, text, now=app.clock.now(), limit=5)
        return await suggest(session, KIWI, text, result, now=app.clock.now())


# --- aliases ----------------------------------------------------------------------------------


async def test_the_default_aliases_make_ai_find_the_articles_that_say_인공지능(
    samples: App,
) -> None:
    only_korean = written_in("인공지능") - written_in("AI")
    assert only_korean  # the R&D fund article says 인공지능 and never AI

    by_abbreviation = await find(samples, "AI")
    by_name = await find(samples, "인공지능")

    assert guids(by_abbreviation) == guids(by_name) == written_in("AI", "인공지능")


async def test_an_alias_added_by_the_newsroom_works_on_the_next_search(samples: App) -> None:
    assert not written_in("무인기") and not (await find(samples, "무인기")).total
    async with samples.sessions() as session:
        assert await add_alias(session, "무인기", "드론")
        assert not await add_alias(session, "드론", "무인기")  # the same pair, either way round
        await session.commit()

    found = await find(samples, "무인기")

    assert guids(found) == written_in("드론")
    marks = {hit.article.title[s:e] for hit in found.hits for s, e in hit.title_marks}
    assert "드론" in marks  # the alias is marked like the word typed


async def test_a_removed_default_alias_stays_removed(samples: App) -> None:
    async with samples.sessions() as session:
        assert ("ai", "인공지능") in await list_aliases(session)
        assert await remove_alias(session, "인공지능", "AI")
        assert not await remove_alias(session, "인공지능", "AI")
        await session.commit()

    assert guids(await find(samples, "AI")) == written_in("AI")


async def test_aliases_are_symmetric_and_one_hop_deep(samples: App) -> None:
    async with samples.sessions() as session:
        await add_alias(session, "인공지능", "에이아이")
        await session.commit()
        found = await aliases_of(session, ["ai", "에이아이", "인공지능"])

    assert found["ai"] == ["인공지능"]  # not 에이아이: aliases do not chain
    assert found["에이아이"] == ["인공지능"]
    assert found["인공지능"] == ["ai", "에이아이"]


async def test_an_excluded_word_excludes_its_aliases_too(samples: App) -> None:
    found = await find(samples, "성남시 -AI")

    assert guids(found) and not guids(found) & written_in("AI", "인공지능")


async def test_a_csv_import_reports_bad_lines_by_number_and_keeps_the_rest(
    samples: App,
) -> None:
    text = "# newsroom aliases\n위고,WeGO,세계도시전자정부협의체\n외톨이\n\nKTX,KTX\n산불,들불\n"
    async with samples.sessions() as session:
        report = await import_aliases(session, text)
        await session.commit()
        pairs = await list_aliases(session)

    assert report.added == 3
    assert [p.split(":")[0] for p in report.problems] == ["line 3", "line 5"]
    assert ("wego", "위고") in pairs and ("들불", "산불") in pairs


# --- typo suggestions ---------------------------------------------------------------------


async def test_a_typo_that_finds_nothing_gets_the_close_indexed_word(samples: App) -> None:
    assert not (await find(samples, "드로")).total

    offered = await suggestions(samples, "드로")

    assert [s.word for s in offered][:1] == ["드론"]
    assert offered[0].text == "드론" and offered[0].found == len(written_in("드론"))


async def test_a_typo_beside_other_words_is_replaced_in_place_in_the_suggestion(
    samples: App,
) -> None:
    offered = await suggestions(samples, "성남시능 예산안")

    assert offered and all(s.text.endswith(" 예산안") for s in offered)
    assert "성남시 예산안" in [s.text for s in offered]
    assert len(offered) <= 3


async def test_a_search_that_finds_enough_gets_no_suggestions(samples: App) -> None:
    assert await suggestions(samples, "드론") == []


async def test_only_words_that_would_find_something_are_suggested(
    samples: App, clock: FixedClock
) -> None:
    # A word whose only article is gone stays in the vocabulary, but is never offered.
    await store_articles(samples, draft(900, "드롱 축제 취소"))
    async with samples.sessions() as session:
        assert "드롱" in await words_near(session, 2, 3, {"드"})
        await session.execute(delete(Article).where(Article.guid == "g900"))
        await session.commit()

    assert "드롱" not in [s.word for s in await suggestions(samples, "드로")]


async def test_new_articles_add_their_title_words_to_the_vocabulary(samples: App) -> None:
    await store_articles(samples, draft(901, "메타버스 행정 서비스 개통"))
    async with samples.sessions() as session:
        assert "메타버스" in await words_near(session, 3, 5, {"버"})

    assert [s.word for s in await suggestions(samples, "메타버수")] == ["메타버스"]


# --- periods and order --------------------------------------------------------------------


async def test_a_period_of_days_keeps_only_articles_published_since(samples: App) -> None:
    week_ago = NOON_KST.replace(day=15)

    found = await find(samples, "드론 기간:7일")

    assert found.since == week_ago
    assert guids(found) == {g for g in written_in("드론") if published(g) >= week_ago}
    assert guids(found) and guids(found) != written_in("드론")


async def test_since_a_date_starts_at_midnight_in_the_newsrooms_zone(samples: App) -> None:
    midnight = datetime(2026, 11, 18, tzinfo=SEOUL)

    found = await find(samples, "성남 이후:2026-11-18")
    english = await find(samples, "성남 since:2026.11.18")

    assert found.since == english.since == midnight
    assert guids(found) == guids(english)
    assert guids(found) == {g for g in written_in("성남") if published(g) >= midnight}


async def test_a_button_period_replaces_the_typed_one(samples: App) -> None:
    found = await find(samples, "드론 기간:7일", period=ALL)

    assert found.since is None and guids(found) == written_in("드론")


async def test_a_period_with_a_section_applies_both(samples: App) -> None:
    found = await find(samples, "성남 기간:1주 분야:경제")

    assert guids(found)
    for hit in found.hits:
        assert hit.article.section == "경제"
        assert hit.article.published_at >= NOON_KST.replace(day=15)


async def test_newest_first_orders_every_match_by_publication(samples: App) -> None:
    best = await find(samples, "드론")
    newest = await find(samples, "드론 최신순")
    by_button = await find(samples, "드론", sort=Sort.NEWEST)

    times = [hit.article.published_at for hit in newest.hits]
    assert times == sorted(times, reverse=True)
    assert guids(newest) == guids(best) == guids(by_button)
    assert [h.article.id for h in newest.hits] == [h.article.id for h in by_button.hits]
    assert newest.sort is Sort.NEWEST and best.sort is Sort.RELEVANCE


async def test_a_period_that_makes_no_sense_is_named_and_nothing_is_searched(
    samples: App,
) -> None:
    found = await find(samples, "드론 이후:2026-13-01")

    assert found.query.bad_filter == "이후:2026-13-01"
    assert found.total == 0


# --- the newsroom's command line ----------------------------------------------------------


@pytest.fixture
def store(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", database_url)
    return database_url


@pytest.fixture
def imported(store: str, capsys: pytest.CaptureFixture[str]) -> str:
    code, _, err = run_cli(capsys, "import", str(SAMPLES / "articles.ndjson"))
    assert code == 0, err
    return store


def test_aliases_are_added_listed_and_removed_from_the_command_line(
    capsys: pytest.CaptureFixture[str], imported: str
) -> None:
    assert json.loads(run_cli(capsys, "search", "무인기", "--json")[1]) == []

    added = run_cli(capsys, "search", "aliases", "add", "무인기", "드론")
    widened = json.loads(run_cli(capsys, "search", "무인기", "--json", "--limit", "50")[1])
    listed = run_cli(capsys, "search", "aliases", "list")[1].splitlines()
    removed = run_cli(capsys, "search", "aliases", "remove", "드론", "무인기")
    again = run_cli(capsys, "search", "aliases", "remove", "드론", "무인기")

    assert added[:2] == (0, "무인기 = 드론: added\n")
    assert {row["url"] for row in widened} == {SAMPLE[g]["url"] for g in written_in("드론")}
    assert "드론 = 무인기" in listed and "ai = 인공지능" in listed  # with the defaults
    assert removed[:2] == (0, "드론 = 무인기: removed\n")
    assert again[0] == 2 and again[2] == "newsbot: error: 드론 = 무인기 is not an alias\n"
    assert json.loads(run_cli(capsys, "search", "무인기", "--json")[1]) == []


def test_an_alias_of_a_word_to_itself_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], store: str
) -> None:
    code, _, err = run_cli(capsys, "search", "aliases", "add", "AI", "ai")

    assert code == 2
    assert err.startswith("newsbot: error: 'ai' is the same word as its alias")
    assert err.count("\n") == 1


def test_an_alias_file_imports_every_good_line_and_names_the_bad_ones(
    capsys: pytest.CaptureFixture[str], store: str, tmp_path: Path
) -> None:
    path = tmp_path / "aliases.csv"
    path.write_text("WeGO,위고\n혼자\n산불,들불,산림화재\n", encoding="utf-8")

    code, out, err = run_cli(capsys, "search", "aliases", "import", str(path))

    assert code == 0
    assert out == "aliases.csv: added 3, already there 0, rejected 1\n"
    assert err == "  rejected line 2: want a word and at least one alias\n"


def test_search_from_the_terminal_takes_periods_and_suggests_on_stderr(
    capsys: pytest.CaptureFixture[str], imported: str
) -> None:
    recent = json.loads(run_cli(capsys, "search", "드론", "이후:2026-11-18", "--json")[1])
    code, out, err = run_cli(capsys, "search", "드로")
    bad = run_cli(capsys, "search", "드론", "기간:7주일")

    assert recent and all(row["published_at"] >= "2026-11-18" for row in recent)
    assert (code, out) == (0, "nothing found\n")
    assert err.startswith("did you mean: 드론 (")
    assert bad[0] == 2 and bad[2].startswith("newsbot: error: '기간:7주일' is not a period")


# --- upgrading a newsroom's store ---------------------------------------------------------


def test_the_upgrade_fills_the_vocabulary_from_articles_indexed_before_it(
    empty_url: str,
) -> None:
    migrate.upgrade(empty_url, "0011e")
    engine = make_sync_engine(empty_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO articles (id, source, url, title, lead, body, published_at, "
                    "date_source, is_breaking, ingested_at, changed_at, revision) VALUES "
                    "(1, 't', 'https://x.kr/1', '드론 택배', '', '', :now, 'item', false, "
                    ":now, :now, 1)"
                ),
                {"now": datetime(2026, 11, 1, tzinfo=UTC)},
            )
            connection.execute(
                text(
                    "INSERT INTO search_docs (article_id, revision, title_bg, title_mo, "
                    "lead_bg, lead_mo, body_bg, body_mo) VALUES "
                    "(1, 1, '드론 택배', '드론 택배 2026 시', '', '', '', '')"
                )
            )
        migrate.upgrade(empty_url)
        with engine.connect() as connection:
            words = set(connection.execute(text("SELECT word FROM search_words")).scalars())
            aliases = connection.execute(text("SELECT count(*) FROM search_aliases")).scalar()
    finally:
        engine.dispose()

    assert words == {"드론", "택배"}  # no bare numbers, no single characters
    assert aliases == 17  # the bundled defaults
