"""PostgreSQL's bm25 statistics stay exact in the transaction that writes the documents:
stored, corrected, re-indexed and deleted articles leave search_terms, search_totals and
doclen as a count from scratch would make them (migration 0012)."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.app import App, open_app
from newsbot.clock import FixedClock
from newsbot.store.articles import store_drafts
from newsbot.store.models import Article
from newsbot.store.search_index import reindex
from newsbot.text.analyzer import default_analyzer
from tests.builders import draft
from tests.conftest import make_settings

KIWI = default_analyzer()
pytestmark = pytest.mark.postgres


async def _counted_from_scratch(session: AsyncSession) -> tuple[dict[str, int], int, int]:
    """(document frequency per key, documents, tokens), counted here in Python."""
    df: Counter[str] = Counter()
    tokens = 0
    rows = await session.execute(
        text("SELECT title_bg, lead_bg, body_bg, title_mo, lead_mo, body_mo FROM search_docs")
    )
    documents = 0
    for row in rows:
        documents += 1
        bg, mo = " ".join(row[:3]).split(), " ".join(row[3:]).split()
        tokens += len(bg) + len(mo)
        df.update({"b" + t for t in bg} | {"m" + t for t in mo})
    return dict(df), documents, tokens


async def _kept(session: AsyncSession) -> tuple[dict[str, int], int, int]:
    rows = await session.execute(text("SELECT term, df FROM search_terms WHERE df <> 0"))
    totals = (await session.execute(text("SELECT documents, tokens FROM search_totals"))).one()
    return {term: int(n) for term, n in rows}, int(totals[0]), int(totals[1])


async def _doclen_mismatches(session: AsyncSession) -> int:
    rows = await session.execute(
        text(
            "SELECT doclen, title_bg, lead_bg, body_bg, title_mo, lead_mo, body_mo FROM search_docs"
        )
    )
    return sum(row[0] != len(" ".join(row[1:]).split()) for row in rows)


@pytest.fixture
async def app(pg_url: str, clock: FixedClock) -> AsyncIterator[App]:
    """On PostgreSQL only: SQLite's FTS5 keeps its statistics itself."""
    async with open_app(make_settings(pg_url), clock=clock) as opened:
        yield opened


async def test_statistics_follow_stores_corrections_reindexing_and_deletions(app: App) -> None:
    async with app.sessions() as session:
        await store_drafts(
            session,
            [
                draft("a", "제주 감귤 수확 시작", lead="감귤 농가 수확", body="감귤 감귤 드론"),
                draft("b", "드론 택배 시범 운행", lead="드론 배송", body="AI 2023년 드론"),
                draft("c", "성남시 예산안 편성", lead="예산 4조", body="성남시의회 제출"),
            ],
            now=app.clock.now(),
            analyzer=KIWI,
        )
        await session.commit()
        assert await _kept(session) == await _counted_from_scratch(session)

        await store_drafts(  # a correction: old words out, new words in
            session,
            [draft("a", "제주 한라봉 수확 시작", lead="한라봉 농가", body="드론 없이")],
            now=app.clock.now(),
            analyzer=KIWI,
        )
        await session.commit()
        assert await _kept(session) == await _counted_from_scratch(session)

        assert await reindex(session, KIWI) == 3  # unchanged documents rewritten
        assert await _kept(session) == await _counted_from_scratch(session)

        gone = (await session.execute(text("SELECT id FROM articles WHERE guid = 'b'"))).one()
        article = await session.get(Article, gone[0])
        assert article is not None
        await session.delete(article)  # its document goes by cascade
        await session.commit()
        kept = await _kept(session)
        assert kept == await _counted_from_scratch(session)
        assert kept[1] == 2
        assert "bai" not in kept[0]  # only article b said AI
        assert await _doclen_mismatches(session) == 0


async def test_a_rolled_back_store_leaves_the_statistics_as_they_were(app: App) -> None:
    async with app.sessions() as session:
        await store_drafts(session, [draft("a", "제주 감귤")], now=app.clock.now(), analyzer=KIWI)
        await session.commit()
        before = await _kept(session)
        await store_drafts(session, [draft("z", "울산 화재")], now=app.clock.now(), analyzer=KIWI)
        await session.rollback()
        assert await _kept(session) == before == await _counted_from_scratch(session)
