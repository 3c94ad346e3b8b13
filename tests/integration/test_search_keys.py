"""PostgreSQL's search keys (migration 0012p) stay in step with the documents, and a query
over them finds what the exact tsquery finds: the same articles when its phrases have at most
two tokens, a superset otherwise, which search narrows with the exact tsquery."""

from __future__ import annotations

from collections.abc import AsyncIterator
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.app import App, open_app
from newsbot.clock import FixedClock
from newsbot.search import engine
from newsbot.search.engine import search
from newsbot.search.query import Mode, key_exact, keys_expression, parse_query, tsquery_expression
from newsbot.store import migrate, search_index
from newsbot.store.articles import store_drafts
from newsbot.store.models import Article
from newsbot.store.search_index import reindex
from newsbot.text.analyzer import default_analyzer
from tests.builders import draft
from tests.conftest import make_settings

KIWI = default_analyzer()
pytestmark = pytest.mark.postgres


def _expected_keys(row: tuple[str, ...]) -> set[str]:
    """The keys of one document, as the migration's docstring describes them."""
    title_bg, lead_bg, body_bg, title_mo, lead_mo = (t.lower() for t in row)
    keys: set[str] = set()
    for column, head in ((title_bg, True), (lead_bg, True), (body_bg, False)):
        tokens = column.split()
        own = set(tokens) | {f"{a} {b}" for a, b in pairwise(tokens)}
        keys |= own | ({"h:" + k for k in own} if head else set())
    return keys | {"m:" + m for m in f"{title_mo} {lead_mo}".split()}


async def _mismatches(session: AsyncSession) -> dict[int, tuple[set[str], set[str]]]:
    rows = await session.execute(
        text(
            "SELECT d.article_id, d.title_bg, d.lead_bg, d.body_bg, d.title_mo, d.lead_mo, "
            "tsvector_to_array(k.keys) FROM search_docs d "
            "FULL JOIN search_keys k USING (article_id)"
        )
    )
    found = {}
    for ident, *texts, keys in rows:
        expected = _expected_keys(tuple(texts)) if texts[0] is not None else set()
        if set(keys or ()) != expected:
            found[int(ident)] = (set(keys or ()), expected)
    return found


async def _key_versions(session: AsyncSession) -> dict[int, str]:
    rows = await session.execute(text("SELECT article_id, xmin::text FROM search_keys"))
    return {int(ident): version for ident, version in rows}


@pytest.fixture
async def app(pg_url: str, clock: FixedClock) -> AsyncIterator[App]:
    """On PostgreSQL only: SQLite's FTS5 answers phrases from its own index."""
    async with open_app(make_settings(pg_url), clock=clock) as opened:
        yield opened


async def test_keys_follow_stores_corrections_reindexing_and_deletions(app: App) -> None:
    async with app.sessions() as session:
        await store_drafts(
            session,
            [
                draft("a", "제주 감귤 수확 시작", lead="감귤 농가 수확", body="감귤 감귤 드론"),
                draft("b", "드론 택배 시범 운행", lead="WeGO 배송", body="AI 2023년 드론"),
                draft("c", "성남시 예산안 편성", lead="", body="성남시의회 제출"),
            ],
            now=app.clock.now(),
            analyzer=KIWI,
        )
        await session.commit()
        assert await _mismatches(session) == {}

        await store_drafts(  # a correction: the keys are derived again
            session,
            [draft("a", "제주 한라봉 수확 시작", lead="한라봉 농가", body="드론 없이")],
            now=app.clock.now(),
            analyzer=KIWI,
        )
        await session.commit()
        assert await _mismatches(session) == {}

        before = await _key_versions(session)
        assert await reindex(session, KIWI) == 3  # unchanged documents rewritten...
        assert await _key_versions(session) == before  # ...their keys left alone
        assert await _mismatches(session) == {}

        gone = (await session.execute(text("SELECT id FROM articles WHERE guid = 'b'"))).one()
        article = await session.get(Article, gone[0])
        assert article is not None
        await session.delete(article)  # its document and keys go by cascade
        await session.commit()
        assert await _mismatches(session) == {}
        assert len(await _key_versions(session)) == 2


QUERIES = [
    "감귤",
    "감귤을",
    "성남시",
    "성남시는 예산",
    "성남시의회",
    '"예산안 편성"',
    '"편성 예산안"',
    "2023년",
    "wego",
    "드론 -택배",
    '드론 -"택배 시범"',
    "감귤 드론",
    "없는말",
]


@pytest.mark.parametrize("mode", list(Mode))
async def test_keys_find_what_the_exact_tsquery_finds_or_a_superset(app: App, mode: Mode) -> None:
    async with app.sessions() as session:
        await store_drafts(
            session,
            [
                draft("a", "제주 감귤 수확", lead="감귤 농가", body="감귤 드론 2023년"),
                draft("b", "드론 택배 시범 운행", lead="WeGO 배송", body="AI 2023학년도 드론"),
                draft("c", "성남시 예산안 편성", lead="성남시는", body="성남시의회 제출"),
                draft("d", "편성 예산", lead="예산안", body="성남시 남시의 드론"),
            ],
            now=app.clock.now(),
            analyzer=KIWI,
        )
        await session.commit()
        for typed in QUERIES:
            parsed = parse_query(typed, KIWI)
            exact = set(
                await session.scalars(
                    text(
                        "SELECT article_id FROM search_docs WHERE tsv @@ to_tsquery('simple', :q)"
                    ),
                    {"q": tsquery_expression(parsed, mode)},
                )
            )
            keyed = set(
                await session.scalars(
                    text("SELECT article_id FROM search_keys WHERE keys @@ CAST(:q AS tsquery)"),
                    {"q": keys_expression(parsed, mode)},
                )
            )
            if all(key_exact(t) for t in (*parsed.terms, *parsed.excluded)):
                assert keyed == exact, typed
            else:
                assert keyed >= exact, typed


async def test_a_long_phrase_whose_pairs_occur_apart_is_not_found(app: App) -> None:
    """성남시 and 남시의 hold both pairs of 성남시의 (성남 남시, 남시 시의), but not the word."""
    async with app.sessions() as session:
        await store_drafts(
            session,
            [draft("a", "예산 소식", body="성남시 남시의 드론"), draft("b", "성남시의 예산")],
            now=app.clock.now(),
            analyzer=KIWI,
        )
        await session.commit()
        parsed = parse_query('"성남시의"', KIWI)
        assert not key_exact(parsed.terms[0])
        keyed = await session.scalars(
            text("SELECT count(*) FROM search_keys WHERE keys @@ CAST(:q AS tsquery)"),
            {"q": keys_expression(parsed, Mode.ALL)},
        )
        assert keyed.one() == 2  # both are candidates...

        result = await search(session, KIWI, '"성남시의"', now=app.clock.now())

        assert [hit.article.guid for hit in result.hits] == ["b"]  # ...one is a match


async def test_upgrading_a_store_that_has_documents_keys_every_one(
    empty_pg_url: str, clock: FixedClock
) -> None:
    migrate.upgrade(empty_pg_url, "0012s")  # before the keys
    async with open_app(make_settings(empty_pg_url), clock=clock) as app, app.sessions() as session:
        await store_drafts(
            session,
            [draft("a", "제주 감귤 수확", body="감귤 드론"), draft("b", "성남시 예산안")],
            now=app.clock.now(),
            analyzer=KIWI,
        )
        await session.commit()

    migrate.upgrade(empty_pg_url)

    async with open_app(make_settings(empty_pg_url), clock=clock) as app, app.sessions() as session:
        assert len(await _key_versions(session)) == 2
        assert await _mismatches(session) == {}
        result = await search(session, KIWI, '"예산안"', now=app.clock.now())
        assert [hit.article.guid for hit in result.hits] == ["b"]


async def test_a_document_with_too_many_keys_for_one_tsvector_keeps_its_words(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tsvector holds at most 1 MB of lexemes and array_to_tsvector does not check it: the
    keys keep every token, morpheme and headline key and the body's pairs that fit (with the
    indexed body's own cap lifted, to reach the keys' guard)."""
    monkeypatch.setattr(search_index, "MAX_INDEXED_BODY", 10_000_000)
    body = " ".join(f"w{i}" for i in range(70_000))  # ~0.5 MB of tokens, ~1 MB of pairs
    long_run = "x" * 3000  # a lexeme holds at most 2,047 bytes
    async with app.sessions() as session:
        await store_drafts(
            session,
            [draft("a", "거대한 문서", body=f"{body} {long_run} {long_run}")],
            now=app.clock.now(),
            analyzer=KIWI,
        )
        await session.commit()
        keys = set(
            await session.scalars(text("SELECT unnest(tsvector_to_array(keys)) FROM search_keys"))
        )
        tokens = {f"w{i}" for i in range(70_000)}
        assert tokens <= keys
        assert {"거대", "h:거대", "거대 대한", "h:거대 대한", "m:문서"} <= keys
        assert sum(len(k.encode()) for k in keys) < 1_000_000
        assert "w0 w1" in keys  # the first pairs fit; the last do not
        assert "w69998 w69999" not in keys
        assert not any(k.startswith("xxx") for k in keys)

        result = await search(session, KIWI, "w69999", now=app.clock.now())

        assert [hit.article.guid for hit in result.hits] == ["a"]


async def test_a_document_deleted_during_a_search_is_simply_not_found(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each statement sees the latest commits: the exact test may miss a candidate's document."""
    async with app.sessions() as session:
        await store_drafts(
            session,
            [draft("a", "성남시의 드론"), draft("b", "성남시의 예산")],
            now=app.clock.now(),
            analyzer=KIWI,
        )
        await session.commit()
    keyed = engine._postgres_keyed

    async def keyed_then_deleted(*args: Any, **kwargs: Any) -> list[int]:
        found = await keyed(*args, **kwargs)
        async with app.sessions() as other:
            await other.execute(text("DELETE FROM articles WHERE guid = 'a'"))
            await other.commit()
        return found

    monkeypatch.setattr(engine, "_postgres_keyed", keyed_then_deleted)
    async with app.sessions() as session:
        result = await search(session, KIWI, '"성남시의"', now=app.clock.now())

    assert [hit.article.guid for hit in result.hits] == ["b"]
