"""Searching the bundled samples the way readers will, on SQLite and PostgreSQL.

Expected articles are read from the sample text itself: every article whose title, lead or body
contains the word is expected, and nothing else.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from newsbot.app import App
from newsbot.search import engine
from newsbot.search.engine import CANDIDATES, SearchResult, search
from newsbot.search.query import Mode
from newsbot.search.snippet import Marked
from newsbot.store.articles import Outcome, store_drafts
from newsbot.store.engine import make_sync_engine
from newsbot.store.models import Article, SearchDoc
from newsbot.store.search_index import optimize, reindex, unindexed_count
from newsbot.text.analyzer import Analyzer, NoMorphemes, default_analyzer, fold
from tests.builders import draft, store_articles
from tests.conftest import SAMPLES
from tests.helpers import load_samples as load_all
from tests.helpers import run_cli

KIWI = default_analyzer()
PLAIN = Analyzer(NoMorphemes())
ARTICLES: dict[str, dict[str, Any]] = {
    record["guid"]: record
    for record in map(json.loads, (SAMPLES / "articles.ndjson").read_text("utf-8").splitlines())
}
JSON_FIELDS = {
    "id",
    "title",
    "url",
    "section",
    "author",
    "published_at",
    "updated_at",
    "revision",
    "score",
    "snippet",
    "highlights",
}


def written_in(word: str) -> set[str]:
    """The samples whose title, lead or body contains the word (folded: WeGO = wego)."""
    needle = fold(word)
    return {
        guid
        for guid, record in ARTICLES.items()
        if any(needle in fold(record[field]) for field in ("title", "lead", "body"))
    }


def in_section(section: str) -> set[str]:
    return {guid for guid, record in ARTICLES.items() if record["section"] == section}


async def find(
    app: App,
    query: str,
    *,
    limit: int = CANDIDATES,
    offset: int = 0,
    section: str | None = None,
    analyzer: Analyzer = KIWI,
) -> SearchResult:
    async with app.sessions() as session:
        return await search(
            session,
            analyzer,
            query,
            now=app.clock.now(),
            limit=limit,
            offset=offset,
            section=section,
        )


def guids(result: SearchResult) -> list[str]:
    return [hit.article.guid or "" for hit in result.hits]


def marked(snippet: Marked) -> list[str]:
    return [snippet.text[start:end] for start, end in snippet.marks]


# --- Korean words, as typed --------------------------------------------------------------


WORDS = [  # (typed, the word expected in the text)
    ("성남시는", "성남시"),
    ("성남시가", "성남시"),
    ("드론", "드론"),
    ("드론을", "드론"),
    ("위고", "위고"),
    ("WeGO", "wego"),
    ("wego", "wego"),
    ("ＷｅＧＯ", "wego"),
    ("교통", "교통"),
    ("청년", "청년"),
    ("청년들이", "청년"),
    ("2023년", "2023년"),
    ("2023", "2023"),
    ("K리그", "K리그"),
    ("성남FC", "성남FC"),
    ("택배", "택배"),  # inside 드론택배
    ("기본소득", "기본소득"),  # inside 청년기본소득
    ("교통정보센터는", "교통정보센터"),
]


async def test_each_word_finds_exactly_the_articles_it_is_written_in(app: App) -> None:
    await load_all(app, views=False)
    expected = {query: written_in(word) for query, word in WORDS}
    assert all(expected.values()), "every word should occur in the samples"

    found = {query: set(guids(await find(app, query))) for query, _ in WORDS}
    relevant_in_top_ten = {
        query: len(set(guids(await find(app, query, limit=10))) & expected[query])
        for query, _ in WORDS
    }

    assert found == expected
    assert relevant_in_top_ten == {q: min(10, len(e)) for q, e in expected.items()}


async def test_the_articles_about_seongnam_city_rank_in_the_top_ten(app: App) -> None:
    await load_all(app, views=False)
    headline_subjects = {
        "gn-2026-1001",  # 성남시, 2027년도 예산안 ...
        "gn-2026-1007",  # 성남시의회 행정사무감사 ...
        "gn-2026-1017",  # 성남시가 WeGO 집행위원회 회의 유치 ...
        "gn-2026-1019",  # 성남시 교통정보센터 ...
        "gn-2026-1023",  # 성남시에서 전세사기 피해 상담 급증 ...
        "gn-2026-1037",  # 성남시 'R&D 혁신펀드' ...
        "gn-2026-1041",  # 성남시청 '주말 열린민원실' ...
    }

    for query in ("성남시는", "성남시가", "성남시의"):
        top = await find(app, query, limit=10)
        assert headline_subjects <= set(guids(top)), query


async def test_a_name_kiwi_does_not_know_is_found_with_its_particle_on(app: App) -> None:
    await store_articles(
        app,
        draft(1, "인천 미추홀구 전세사기 피해자 1천명 넘어"),
        draft(2, "미추홀 전세사기 주범 징역 15년", lead="미추홀구 빌라 48가구 피해."),
        draft(3, "고양시 일산 호수공원 야간 개방", lead="고양 시민 축제."),
        draft(4, "길고양이 급식소 설치", lead="고양이 중성화 지원."),
    )

    name = set(guids(await find(app, "미추홀구의")))  # Kiwi reads it as one noun
    known = set(guids(await find(app, "고양이")))  # a word Kiwi knows keeps its own reading

    assert name == {"g1", "g2"}
    assert known == {"g4"}


async def test_a_compound_typed_without_its_space_finds_it_written_with_one(app: App) -> None:
    await store_articles(
        app,
        draft(1, "판교 자율주행 셔틀 정식 운행", lead="자율주행 셔틀 3대가 달린다."),
        draft(2, "공항 셔틀버스 증편", lead="자율 좌석제 도입."),
    )

    found = set(guids(await find(app, "자율주행셔틀")))

    assert found == {"g1"}


async def test_a_very_long_body_is_stored_and_found_by_its_beginning(app: App) -> None:
    paragraph = "성남시 교통 예산 심의가 이어졌다. 시민 의견을 듣는 공청회도 열렸다. "
    body = "판교 자율주행 셔틀 보고서. " + paragraph * 12_000  # about 500,000 characters
    await store_articles(app, draft(1, "시의회 회의록 전문", body=body + " 끝맺음단어"))

    found = set(guids(await find(app, "자율주행")))
    past_the_cap = set(guids(await find(app, "끝맺음단어")))

    assert found == {"g1"}  # stored, and searched by its first 100,000 characters
    assert past_the_cap == set()


async def test_a_noun_is_found_inside_compounds(app: App) -> None:
    await load_all(app, views=False)
    compounds = ["드론전문의용소방대", "드론택배", "드론쇼", "드론레이싱대회"]
    holders = {compound: written_in(compound) for compound in compounds}
    assert all(holders.values()), "every compound should occur in the samples"

    result = set(guids(await find(app, "드론")))

    assert {c: h - result for c, h in holders.items()} == {c: set() for c in compounds}


async def test_a_compound_query_word_is_not_matched_by_its_parts_scattered_in_the_body(
    app: App, request: pytest.FixtureRequest
) -> None:
    await load_all(app, views=False)
    scattered = {"gn-2026-1058", "gn-2026-1021"}  # "정보를 교통 앱으로", "교통 통제 ... 버스정보"
    assert not scattered & written_in("교통정보")

    result = await find(app, "교통정보")

    assert set(guids(result)) == written_in("교통정보")


async def test_a_year_with_its_counter_does_not_find_a_school_year(app: App) -> None:
    await store_articles(
        app,
        draft("year", "2023년 개통한 신분당선 연장 구간"),
        draft("school", "2023학년도 수능 성적 통지"),
        analyzer=KIWI,
    )

    result = await find(app, "2023년")

    assert guids(result) == ["year"]


# --- query syntax ------------------------------------------------------------------------


async def test_every_word_must_match(app: App) -> None:
    await load_all(app, views=False)

    result = await find(app, "성남시가 드론을")

    assert result.mode is Mode.ALL
    assert not result.fell_back
    assert set(guids(result)) == written_in("성남시") & written_in("드론")
    assert 0 < result.total < len(written_in("드론"))


async def test_when_no_article_has_every_word_any_word_will_do(app: App) -> None:
    await load_all(app, views=False)
    assert not written_in("지진")

    result = await find(app, "성남시 지진")

    assert result.mode is Mode.ANY
    assert result.fell_back
    assert set(guids(result)) == written_in("성남시")


async def test_a_single_word_that_matches_nothing_does_not_fall_back(app: App) -> None:
    await load_all(app, views=False)

    result = await find(app, "지진")

    assert result.mode is Mode.ALL
    assert result.hits == []
    assert result.total == 0


async def test_a_quoted_phrase_needs_the_words_side_by_side(app: App) -> None:
    await load_all(app, views=False)
    phrase = written_in("성남시 교통정보센터")

    quoted = await find(app, '"성남시 교통정보센터"')
    loose = await find(app, "성남시 교통정보센터")

    assert phrase
    assert set(guids(quoted)) == phrase
    assert set(guids(quoted)) < set(guids(loose))


async def test_a_minus_removes_the_articles_with_that_word(app: App) -> None:
    await load_all(app, views=False)
    removed = written_in("드론") & written_in("축제")
    assert removed

    result = await find(app, "드론 -축제")

    assert set(guids(result)) == written_in("드론") - written_in("축제")


async def test_a_section_keeps_only_that_section(app: App) -> None:
    await load_all(app, views=False)
    expected = written_in("드론") & in_section("경제")
    assert expected
    asked = [
        ("드론 section:경제", None),
        ("드론 섹션:경제", None),
        ("드론 분야:경제", None),
        ("드론", "경제"),
    ]

    found = {(query, section): await find(app, query, section=section) for query, section in asked}

    assert {key: set(guids(result)) for key, result in found.items()} == dict.fromkeys(
        asked, expected
    )


# --- broad queries: where the words are, then how recent ----------------------------------


def in_headline(word: str) -> set[str]:
    needle = fold(word)
    return {
        guid
        for guid, record in ARTICLES.items()
        if needle in fold(record["title"]) or needle in fold(record["lead"])
    }


@pytest.fixture
def broad_from_three(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three matches make a query broad (100k articles are too many for a test)."""
    monkeypatch.setattr(engine, "BROAD_MATCHES", 3)


@pytest.mark.usefixtures("broad_from_three")
async def test_a_broad_query_lists_headline_matches_first_each_tier_newest_first(
    app: App,
) -> None:
    await load_all(app, views=False)
    headline, everywhere = in_headline("성남시"), written_in("성남시")
    assert 3 <= len(headline) < len(everywhere)

    result = await find(app, "성남시는")

    found = [hit.article for hit in result.hits]
    assert set(guids(result)) == everywhere
    assert {a.guid for a in found[: len(headline)]} == headline
    for tier in (found[: len(headline)], found[len(headline) :]):
        published = [a.published_at for a in tier]
        assert published == sorted(published, reverse=True)


@pytest.mark.usefixtures("broad_from_three")
async def test_a_broad_query_still_honours_exclusions_and_sections(app: App) -> None:
    await load_all(app, views=False)

    without = await find(app, "드론 -축제")
    economy = await find(app, "드론 section:경제")

    assert set(guids(without)) == written_in("드론") - written_in("축제")
    assert set(guids(economy)) == written_in("드론") & in_section("경제")


async def test_pages_are_disjoint_ordered_slices_of_one_ranking(app: App) -> None:
    await load_all(app, views=False)
    whole = await find(app, "성남시")

    pages = [await find(app, "성남시", limit=7, offset=offset) for offset in range(0, 35, 7)]

    assert [guid for page in pages for guid in guids(page)] == guids(whole)
    assert {page.total for page in pages} == {whole.total} == {len(written_in("성남시"))}
    scores = [hit.score for page in pages for hit in page.hits]
    assert scores == sorted(scores, reverse=True)
    past_the_end = await find(app, "성남시", limit=7, offset=100)
    assert past_the_end.hits == []
    assert past_the_end.total == whole.total


async def test_snippets_and_titles_mark_the_word_searched_for(app: App) -> None:
    await load_all(app, views=False)

    drones = await find(app, "드론을")
    wego = await find(app, "WeGO")

    for hit in drones.hits:
        assert marked(hit.snippet), hit.article.guid
        assert set(marked(hit.snippet)) == {"드론"}
    for hit in wego.hits:
        titled = [hit.article.title[s:e] for s, e in hit.title_marks]
        assert all(mark.lower() == "wego" for mark in titled + marked(hit.snippet))
    [titled_wego] = [hit for hit in wego.hits if "WeGO" in hit.article.title]
    assert titled_wego.title_marks


HOSTILE = [
    '"',
    '""',
    "NEAR(a b)",
    "*",
    "^드론",
    "title_bg:드론",
    "드론 OR",
    "'; DROP TABLE articles;--",
    "🙂",
    "\x00\x01",
    "a" * 10_000,
    "성남" * 5000,
    "(((",
    ")",
    "드론 NOT 축제",
    "드론 AND",
    "{title_mo lead_mo body_mo} : 드론",
    "드론* 성남^2",
    "'드론' <-> '축제' & !",
    "\\' 드론",
    "section: 섹션: 분야:",
]


async def test_hostile_queries_never_raise(app: App) -> None:
    await load_all(app, views=False)
    failures: list[tuple[str, BaseException]] = []

    for query in HOSTILE:
        try:
            result = await find(app, query, limit=5)
        except Exception as exc:  # collected, so that every failing query is reported
            failures.append((query[:40], exc))
            continue
        assert isinstance(result, SearchResult)
        assert len(result.hits) <= 5

    assert failures == []
    async with app.sessions() as session:  # and the store is as it was
        assert await session.scalar(select(func.count()).select_from(Article)) == len(ARTICLES)
    assert (await find(app, "드론")).total == len(written_in("드론"))


async def test_a_section_with_a_nul_character_finds_nothing(
    app: App, request: pytest.FixtureRequest
) -> None:
    await load_all(app, views=False)

    typed = await find(app, "드론 section:\x00")
    given = await find(app, "드론", section="경\x00제")

    assert typed.hits == given.hits == []


# --- the index follows the store ---------------------------------------------------------


async def test_a_stored_article_is_found_at_once(app: App) -> None:
    async with app.sessions() as session:
        await store_drafts(
            session, [draft("tangerine", "제주 감귤 수확 시작")], now=app.clock.now(), analyzer=KIWI
        )
        uncommitted = await search(session, KIWI, "감귤을", now=app.clock.now())
        await session.commit()

    assert guids(uncommitted) == ["tangerine"]
    assert guids(await find(app, "감귤을")) == ["tangerine"]


async def test_a_corrected_title_is_found_by_its_new_words_only(app: App) -> None:
    async with app.sessions() as session:
        await store_drafts(
            session, [draft("fruit", "제주 감귤 수확 시작")], now=app.clock.now(), analyzer=KIWI
        )
        await session.commit()
        [stored] = await store_drafts(
            session, [draft("fruit", "제주 한라봉 수확 시작")], now=app.clock.now(), analyzer=KIWI
        )
        await session.commit()

    assert stored.outcome is Outcome.CORRECTED
    assert guids(await find(app, "한라봉")) == ["fruit"]
    assert guids(await find(app, "수확")) == ["fruit"]
    assert guids(await find(app, "감귤")) == []


async def test_a_deleted_article_leaves_the_results_and_its_words_do_not_linger(
    app: App,
) -> None:
    async with app.sessions() as session:
        [stored] = await store_drafts(
            session, [draft("gone", "제주 감귤 수확 시작")], now=app.clock.now(), analyzer=KIWI
        )
        await session.commit()
        article = await session.get(Article, stored.article_id)
        assert article is not None
        await session.delete(article)
        await session.commit()
        docs = await session.scalar(select(func.count()).select_from(SearchDoc))

    assert docs == 0
    assert guids(await find(app, "감귤")) == []
    # The next article may reuse the deleted one's id; the old words must not find it.
    await store_articles(app, draft("snow", "강원 대설 주의보"), analyzer=KIWI)
    assert guids(await find(app, "감귤")) == []
    assert guids(await find(app, "대설")) == ["snow"]


async def test_reindex_rebuilds_an_emptied_index(app: App) -> None:
    await load_all(app, views=False)
    before = await find(app, "성남시는 드론")
    async with app.sessions() as session:
        assert await unindexed_count(session) == 0
        await session.execute(text("DELETE FROM search_docs"))
        await session.commit()
        assert await unindexed_count(session) == len(ARTICLES)
    assert (await find(app, "드론")).hits == []

    async with app.sessions() as session:
        done = await reindex(session, KIWI)
        assert await unindexed_count(session) == 0

    assert done == len(ARTICLES)
    after = await find(app, "성남시는 드론")
    assert guids(after) == guids(before)


async def test_reindex_of_the_missing_touches_only_those(app: App) -> None:
    await load_all(app, views=False)
    async with app.sessions() as session:
        await session.execute(
            text("DELETE FROM search_docs WHERE article_id = (SELECT MIN(id) FROM articles)")
        )
        await session.commit()
        assert await unindexed_count(session) == 1

        assert await reindex(session, KIWI, only_missing=True) == 1
        assert await unindexed_count(session) == 0


async def test_optimizing_the_index_keeps_every_result_and_compacts_it(app: App) -> None:
    await load_all(app, views=False)
    async with app.sessions() as session:
        await reindex(session, KIWI)  # every document rewritten: segments and delete markers
        await reindex(session, KIWI)
    before = [guids(await find(app, word)) for word in ("성남시는", "드론", "교통")]
    segments_before = await fts_rows(app)

    async with app.sessions() as session:
        await optimize(session)

    assert [guids(await find(app, word)) for word in ("성남시는", "드론", "교통")] == before
    if segments_before:  # SQLite: measured 83 rows before, 29 after
        assert await fts_rows(app) < segments_before / 2


async def fts_rows(app: App) -> int:
    """Rows of FTS5's segment table (SQLite); 0 where there is none."""
    async with app.sessions() as session:
        if session.get_bind().dialect.name != "sqlite":
            return 0
        return int(await session.scalar(text("SELECT count(*) FROM search_fts_data")) or 0)


async def test_without_kiwi_bigrams_alone_still_find_the_words(app: App) -> None:
    await load_all(app, views=False)
    async with app.sessions() as session:
        await session.execute(text("DELETE FROM search_docs"))
        await session.commit()
        await reindex(session, PLAIN)
        await store_drafts(
            session,
            [draft("tangerine", "제주 감귤 수확 시작")],
            now=app.clock.now(),
            analyzer=PLAIN,
        )
        await session.commit()

    for query, word in [("성남시는", "성남시"), ("드론을", "드론"), ("WeGO", "wego")]:
        result = await find(app, query, analyzer=PLAIN)
        assert set(guids(result)) == written_in(word), query
    assert guids(await find(app, "감귤을", analyzer=PLAIN)) == ["tangerine"]


# --- the command line --------------------------------------------------------------------


run = run_cli


@pytest.fixture
def store(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", database_url)
    return database_url


@pytest.fixture
def imported(store: str, capsys: pytest.CaptureFixture[str]) -> str:
    code, out, err = run(capsys, "import", str(SAMPLES / "articles.ndjson"))
    assert code == 0, err
    assert f"new {len(ARTICLES)}" in out
    return store


def test_search_json_has_the_documented_fields_and_marks(
    capsys: pytest.CaptureFixture[str], imported: str
) -> None:
    code, out, err = run(capsys, "search", "성남시는", "--json")

    assert code == 0, err
    rows = json.loads(out)
    assert len(rows) == 10  # the default limit
    for row in rows:
        assert row.keys() >= JSON_FIELDS
        assert row["published_at"].endswith("+09:00")
        marks = [row["snippet"][start:end] for start, end in row["highlights"]]
        assert set(marks) <= {"성남시"}
    assert any(row["highlights"] for row in rows)
    scores = [row["score"] for row in rows]
    assert scores == sorted(scores, reverse=True)


def test_search_prints_a_table_and_says_when_it_fell_back_or_found_nothing(
    capsys: pytest.CaptureFixture[str], imported: str
) -> None:
    code, out, _ = run(capsys, "search", "드론")

    assert code == 0
    assert f"'드론': {len(written_in('드론'))} found" in out
    assert "드론택배" in out
    assert "no article has all the words" in run(capsys, "search", "성남시", "지진")[1]
    assert run(capsys, "search", "지진")[1].strip() == "nothing found"
    assert run(capsys, "search", "🙂")[1].strip() == "nothing to search for"


def test_search_queries_file_prints_one_json_line_per_query(
    capsys: pytest.CaptureFixture[str], imported: str, tmp_path: Path
) -> None:
    queries = tmp_path / "queries.txt"
    queries.write_text("성남시는\n\n드론 section:경제\n위고\n성남시 지진\n", encoding="utf-8")

    code, out, err = run(capsys, "search", "--queries", str(queries), "--limit", "3")

    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["query"] for r in records] == ["성남시는", "드론 section:경제", "위고", "성남시 지진"]
    assert [r["mode"] for r in records] == ["all", "all", "all", "any"]
    assert [len(r["results"]) for r in records] == [3, 3, 2, 3]
    assert {row["section"] for row in records[1]["results"]} == {"경제"}
    assert {row["title"] for row in records[2]["results"]} == {
        ARTICLES[guid]["title"] for guid in written_in("위고")
    }
    for record in records:
        for row in record["results"]:
            assert row.keys() >= JSON_FIELDS


def test_search_reindex_rebuilds_an_emptied_index(
    capsys: pytest.CaptureFixture[str], imported: str
) -> None:
    engine = make_sync_engine(imported)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM search_docs"))
    engine.dispose()
    assert json.loads(run(capsys, "search", "위고", "--json")[1]) == []

    code, out, _ = run(capsys, "search", "reindex")

    assert code == 0
    assert out.strip() == f"reindexed {len(ARTICLES)} articles"
    rows = json.loads(run(capsys, "search", "위고", "--json")[1])
    assert len(rows) == len(written_in("위고"))


def test_search_without_a_query_is_a_one_line_usage_error(
    capsys: pytest.CaptureFixture[str], store: str
) -> None:
    code, _, err = run(capsys, "search")

    assert code == 2
    assert err.startswith("newsbot: error: give a query")
    assert err.count("\n") == 1
