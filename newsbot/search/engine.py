"""Running a search: AND first, a ranked OR when AND finds nothing, then recency.

SQLite ranks with bm25 over six weighted columns; PostgreSQL with ts_rank_cd over the
weighted tsvector. Both scores become "higher is better" and get the same mild boost for
fresh articles, so the two stores order results alike.

A broad query (at least BROAD_MATCHES matches, like a common word in a big archive) is not
scored match by match: both scorers read every match first, which grows with the archive.
It is ranked the way a news desk would read it: articles with the words in the title or lead
first, then the others, newest first within each (score 2.0 and 1.0 before the boost).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.search.query import (
    Mode,
    ParsedQuery,
    fts5_expression,
    parse_query,
    tsquery_expression,
)
from newsbot.search.snippet import Marked, find_marks, make_snippet
from newsbot.store.models import Article
from newsbot.text.analyzer import Analyzer, strip_controls

CANDIDATES = 200  # best-scoring matches re-ranked for recency; pages come from these
# A query with at least this many matches is ranked by where the words are and by recency,
# not by bm25 or ts_rank_cd (see _candidates); below it, every match is scored.
BROAD_MATCHES = 1000
BROAD_HEADLINE_SCORE = 2.0  # above any boosted BROAD_OTHER_SCORE (at most x1.2)
BROAD_OTHER_SCORE = 1.0
# bm25 weights: title bigrams, title morphemes, lead bigrams, lead morphemes, body, body.
BM25_WEIGHTS = (4.0, 8.0, 2.0, 4.0, 1.0, 1.0)
# ts_rank_cd weights for labels {D, C, B, A}: body bigrams, title and lead bigrams, lead
# morphemes, title morphemes (see newsbot.search.index).
TS_RANK_WEIGHTS = "{0.1, 0.3, 0.5, 1.0}"
RECENCY_BOOST = 0.2  # at most +20 % for an article published now
RECENCY_HALF_LIFE_DAYS = 14.0


@dataclass(frozen=True, slots=True)
class Hit:
    article: Article
    score: float
    snippet: Marked
    title_marks: tuple[tuple[int, int], ...]


@dataclass(slots=True)
class SearchResult:
    query: ParsedQuery
    mode: Mode = Mode.ALL
    hits: list[Hit] = field(default_factory=list)
    total: int = 0  # matches found (at most CANDIDATES)

    @property
    def fell_back(self) -> bool:
        return self.mode is Mode.ANY


def _boost(score: float, published: datetime, now: datetime) -> float:
    age_days = max(0.0, (now - published).total_seconds() / 86400)
    return score * (1 + RECENCY_BOOST * math.pow(0.5, age_days / RECENCY_HALF_LIFE_DAYS))


def _section_sql(query: ParsedQuery, key: str) -> tuple[str, str]:
    # The articles table is joined only to filter by section: without a filter the join
    # costs about as much as the ranking (measured on 100k articles).
    if not query.section:
        return "", ""
    return f" JOIN articles a ON a.id = {key}", " AND a.section = :section"


def _params(query: ParsedQuery, expression: str, limit: int) -> dict[str, object]:
    params: dict[str, object] = {"expression": expression, "limit": limit}
    if query.section:
        params["section"] = query.section
    return params


def _postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def _newest(
    session: AsyncSession, query: ParsedQuery, mode: Mode, limit: int, *, headline_only: bool
) -> list[int]:
    """Ids of the newest matches. Both indexes hand them out in id order and stop early."""
    if _postgres(session):
        join, section_filter = _section_sql(query, "d.article_id")
        sql = text(  # only module constants are interpolated
            f"SELECT d.article_id FROM search_docs d{join} "  # noqa: S608
            f"WHERE d.tsv @@ to_tsquery('simple', :expression){section_filter} "
            "ORDER BY d.article_id DESC LIMIT :limit"
        )
        expression = tsquery_expression(query, mode, headline_only=headline_only)
    else:
        join, section_filter = _section_sql(query, "f.rowid")
        sql = text(  # only module constants are interpolated
            f"SELECT f.rowid FROM search_fts f{join} "  # noqa: S608
            f"WHERE search_fts MATCH :expression{section_filter} "
            "ORDER BY f.rowid DESC LIMIT :limit"
        )
        expression = fts5_expression(query, mode, headline_only=headline_only)
    params = _params(query, expression, limit)
    return list((await session.scalars(sql.bindparams(bindparam("limit")), params)).all())


async def _scored(session: AsyncSession, query: ParsedQuery, mode: Mode) -> list[tuple[int, float]]:
    """The best matches by bm25 (SQLite) or ts_rank_cd (PostgreSQL), higher is better."""
    if _postgres(session):
        join, section_filter = _section_sql(query, "d.article_id")
        sql = text(  # only module constants are interpolated
            f"SELECT d.article_id, ts_rank_cd('{TS_RANK_WEIGHTS}', d.tsv, q.query) AS score "  # noqa: S608
            f"FROM search_docs d{join}, "
            "to_tsquery('simple', :expression) AS q(query) "
            f"WHERE d.tsv @@ q.query{section_filter} "
            "ORDER BY score DESC, d.article_id DESC LIMIT :limit"
        )
        expression = tsquery_expression(query, mode)
    else:
        weights = ", ".join(str(w) for w in BM25_WEIGHTS)
        join, section_filter = _section_sql(query, "f.rowid")
        sql = text(  # only module constants are interpolated
            f"SELECT f.rowid, -bm25(search_fts, {weights}) AS score "  # noqa: S608
            f"FROM search_fts f{join} "
            f"WHERE search_fts MATCH :expression{section_filter} "
            "ORDER BY bm25(search_fts, " + weights + ") LIMIT :limit"
        )
        expression = fts5_expression(query, mode)
    params = _params(query, expression, CANDIDATES)
    rows = await session.execute(sql.bindparams(bindparam("limit")), params)
    return [(int(ident), float(score)) for ident, score in rows]


async def _candidates(
    session: AsyncSession, query: ParsedQuery, mode: Mode
) -> list[tuple[int, float]]:
    probe = max(BROAD_MATCHES, CANDIDATES)
    newest = await _newest(session, query, mode, probe, headline_only=False)
    if len(newest) < BROAD_MATCHES:
        return await _scored(session, query, mode) if newest else []
    # Broad: scoring would first count every match of every word (bm25's IDF; ts_rank_cd reads
    # every matching document), 30-150 ms for a word in most of 100k articles. Articles with
    # the words in the title or lead come first, then the rest, each newest first; the
    # recency boost orders within a tier.
    headline = await _newest(session, query, mode, CANDIDATES, headline_only=True)
    seen = set(headline)
    rest = [i for i in newest if i not in seen][: CANDIDATES - len(headline)]
    return [(i, BROAD_HEADLINE_SCORE) for i in headline] + [(i, BROAD_OTHER_SCORE) for i in rest]


async def search(
    session: AsyncSession,
    analyzer: Analyzer,
    text_query: str,
    *,
    now: datetime,
    limit: int = 5,
    offset: int = 0,
    section: str | None = None,
) -> SearchResult:
    """Search the store. Never raises for what a reader typed: bad input finds nothing."""
    query = parse_query(text_query, analyzer)
    if section:
        query.section = section.strip() or None
    result = SearchResult(query=query)
    if query.empty or (query.section and strip_controls(query.section) != query.section):
        return result  # no section has control characters in its name
    found = await _candidates(session, query, Mode.ALL)
    if not found and len(query.terms) > 1:
        result.mode = Mode.ANY
        found = await _candidates(session, query, Mode.ANY)
    if not found:
        return result
    # Re-rank on (id, published_at) only; load whole articles just for the page shown.
    rows = await session.execute(
        select(Article.id, Article.published_at).where(Article.id.in_([i for i, _ in found]))
    )
    published = {ident: when for ident, when in rows}
    ranked = sorted(
        ((i, _boost(s, published[i], now), published[i]) for i, s in found if i in published),
        key=lambda item: (item[1], item[2]),
        reverse=True,
    )
    result.total = len(ranked)
    page = ranked[offset : offset + limit]
    articles = {
        a.id: a
        for a in await session.scalars(
            select(Article).where(Article.id.in_([i for i, _, _ in page]))
        )
    }
    terms = query.highlights()
    for ident, score, _ in page:
        article = articles[ident]
        result.hits.append(
            Hit(
                article=article,
                score=round(score, 6),
                snippet=make_snippet(article.lead, article.body, terms),
                title_marks=find_marks(article.title, terms),
            )
        )
    return result
