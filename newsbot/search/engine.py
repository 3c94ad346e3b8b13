"""Running a search: AND first, a ranked OR when AND finds nothing, then recency.

Both stores rank with bm25 over six weighted columns: SQLite with FTS5's, PostgreSQL with the
same formula over statistics kept beside its tsvector (newsbot.search.bm25). Both scores
become "higher is better" and get the same mild boost for fresh articles, so the two stores
order results alike.

A broad query (at least BROAD_MATCHES matches, like a common word in a big archive) is not
scored match by match: both scorers read every match first, which grows with the archive.
It is ranked the way a news desk would read it: articles with the words in the title or lead
first, then the others, newest first within each (score 2.0 and 1.0 before the boost).

Filters narrow the candidates in SQL, on both stores: a section, and a period (the reader's
``기간:7일``; ``published_at >= since``). Sorted newest first, matches are not scored at all:
the newest matches are ordered by publication time. A newsroom's aliases widen each word
into an OR group before the expression is written (``newsbot.search.aliases``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import TextClause, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.search.aliases import aliases_of
from newsbot.search.bm25 import bm25_scores
from newsbot.search.filters import Period, Sort
from newsbot.search.query import (
    Mode,
    ParsedQuery,
    fts5_expression,
    key_exact,
    keys_expression,
    parse_query,
    tsquery_expression,
    with_aliases,
)
from newsbot.search.snippet import Marked, find_marks, make_snippet
from newsbot.store.base import UTCDateTime
from newsbot.store.models import Article
from newsbot.text.analyzer import Analyzer, strip_controls

CANDIDATES = 200  # best-scoring matches re-ranked for recency; pages come from these
# A query with at least this many matches is ranked by where the words are and by recency,
# not by bm25 (see _candidates); below it, every match is scored.
BROAD_MATCHES = 1000
BROAD_HEADLINE_SCORE = 2.0  # above any boosted BROAD_OTHER_SCORE (at most x1.2)
BROAD_OTHER_SCORE = 1.0
# bm25 weights: title bigrams, title morphemes, lead bigrams, lead morphemes, body, body.
BM25_WEIGHTS = (4.0, 8.0, 2.0, 4.0, 1.0, 1.0)
RECENCY_BOOST = 0.2  # at most +20 % for an article published now
RECENCY_HALF_LIFE_DAYS = 14.0
SEOUL = ZoneInfo("Asia/Seoul")


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
    since: datetime | None = None  # the period's start, as applied

    @property
    def sort(self) -> Sort:
        return self.query.sort or Sort.RELEVANCE

    @property
    def fell_back(self) -> bool:
        return self.mode is Mode.ANY


def _boost(score: float, published: datetime, now: datetime) -> float:
    age_days = max(0.0, (now - published).total_seconds() / 86400)
    return score * (1 + RECENCY_BOOST * math.pow(0.5, age_days / RECENCY_HALF_LIFE_DAYS))


def _section_sql(query: ParsedQuery, key: str) -> tuple[str, str]:
    # The articles table is joined only to filter by section or period: without a filter
    # the join costs about as much as the ranking (measured on 100k articles).
    filters = (" AND a.section = :section" if query.section else "") + (
        " AND a.published_at >= :since" if query.since else ""
    )
    if not filters:
        return "", ""
    return f" JOIN articles a ON a.id = {key}", filters


def _params(query: ParsedQuery, expression: str, limit: int) -> dict[str, object]:
    params: dict[str, object] = {"expression": expression, "limit": limit}
    if query.section:
        params["section"] = query.section
    if query.since:
        params["since"] = query.since
    return params


def _bound(sql: TextClause, params: dict[str, object]) -> TextClause:
    """The statement with its limit bound, and the period's start as a UTC datetime the
    way each store keeps ``published_at`` (naive UTC text on SQLite)."""
    sql = sql.bindparams(bindparam("limit"))
    if "since" in params:
        sql = sql.bindparams(bindparam("since", type_=UTCDateTime()))
    return sql


def _postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def _sqlite_newest(
    session: AsyncSession, query: ParsedQuery, expression: str, limit: int, *, from_id: int = 0
) -> list[int]:
    """Ids of the newest matches (at least ``from_id``): FTS5 walks its index backwards and
    stops at the limit."""
    join, section_filter = _section_sql(query, "f.rowid")
    sql = text(  # only module constants are interpolated
        f"SELECT f.rowid FROM search_fts f{join} "  # noqa: S608
        f"WHERE search_fts MATCH :expression AND f.rowid >= :from_id{section_filter} "
        "ORDER BY f.rowid DESC LIMIT :limit"
    )
    params = _params(query, expression, limit) | {"from_id": from_id}
    return list((await session.scalars(_bound(sql, params), params)).all())


async def _postgres_keyed(
    session: AsyncSession, query: ParsedQuery, expression: str, limit: int, *, from_id: int = 0
) -> list[int]:
    """Ids of the newest articles (at least ``from_id``) whose search keys match: the GIN index
    on ``search_keys`` answers this without a recheck, and its heap is small.

    Ordered and bounded by ``article_id + 0`` so that PostgreSQL cannot walk the primary key
    testing each row's keys (TOASTed, ~12 KB): for a common word it chose that walk, 32-42
    ms at 20k articles, against 1.7-2.4 ms for the GIN bitmap and a top-N sort.
    """
    join, section_filter = _section_sql(query, "k.article_id")
    sql = text(  # only module constants are interpolated
        f"SELECT k.article_id FROM search_keys k{join} "  # noqa: S608
        f"WHERE k.keys @@ CAST(:expression AS tsquery) AND k.article_id + 0 >= :from_id"
        f"{section_filter} ORDER BY k.article_id + 0 DESC LIMIT :limit"
    )
    params = _params(query, expression, limit) | {"from_id": from_id}
    return list((await session.scalars(_bound(sql, params), params)).all())


async def _postgres_exact(
    session: AsyncSession, query: ParsedQuery, mode: Mode, ids: list[int]
) -> dict[int, tuple[bool, bool]]:
    """(matches, matches in the headline) for these few candidates, by the exact tsquery: each
    one's whole tsvector is read, so only the keys' candidates are asked."""
    sql = text(
        "SELECT article_id, tsv @@ to_tsquery('simple', :exact), "
        "tsv @@ to_tsquery('simple', :headline) FROM search_docs WHERE article_id = ANY(:ids)"
    )
    params = {
        "ids": ids,
        "exact": tsquery_expression(query, mode),
        "headline": tsquery_expression(query, mode, headline_only=True),
    }
    rows = await session.execute(sql, params)
    return {int(ident): (bool(hit), bool(head)) for ident, hit, head in rows}


async def _postgres_newest(
    session: AsyncSession, query: ParsedQuery, mode: Mode, limit: int
) -> tuple[list[int], list[int], bool]:
    """The newest ``limit`` matches, the newest CANDIDATES of them with the words in the
    headline when they are that many (broad), and whether they are.

    The search keys (migration 0012p) answer a query exactly when its phrases have at most two
    tokens; a longer phrase's keys give a few candidates too many, and only those candidates
    are checked against their documents.
    """
    newest = await _postgres_keyed(session, query, keys_expression(query, mode), limit)
    broad = len(newest) >= BROAD_MATCHES
    headline: list[int] = []
    if broad:
        headline = await _postgres_keyed(
            session,
            query,
            keys_expression(query, mode, headline_only=True),
            CANDIDATES,
            from_id=newest[-1],
        )
    if newest and not all(key_exact(t) for t in (*query.terms, *query.excluded)):
        exact = await _postgres_exact(session, query, mode, sorted({*newest, *headline}))
        # .get: each statement sees the latest commits, and a document may be gone by now.
        newest = [i for i in newest if exact.get(i, (False, False))[0]]
        headline = [i for i in headline if exact.get(i, (False, False))[1]]
    return newest, headline, broad


async def _scored(
    session: AsyncSession, query: ParsedQuery, mode: Mode, ids: list[int]
) -> list[tuple[int, float]]:
    """The best of these matches by bm25, higher is better: FTS5's own on SQLite (it needs the
    whole match set for its statistics, so SQLite runs the query), the same formula over the
    stored statistics on PostgreSQL (newsbot.search.bm25)."""
    if _postgres(session):
        return await bm25_scores(session, query, ids, BM25_WEIGHTS, CANDIDATES)
    weights = ", ".join(str(w) for w in BM25_WEIGHTS)
    join, section_filter = _section_sql(query, "f.rowid")
    sql = text(  # only module constants are interpolated
        f"SELECT f.rowid, -bm25(search_fts, {weights}) AS score "  # noqa: S608
        f"FROM search_fts f{join} "
        f"WHERE search_fts MATCH :expression{section_filter} "
        "ORDER BY bm25(search_fts, " + weights + ") LIMIT :limit"
    )
    params = _params(query, fts5_expression(query, mode), CANDIDATES)
    rows = await session.execute(_bound(sql, params), params)
    return [(int(ident), float(score)) for ident, score in rows]


async def _candidates(
    session: AsyncSession, query: ParsedQuery, mode: Mode
) -> list[tuple[int, float]]:
    probe = max(BROAD_MATCHES, CANDIDATES)
    if _postgres(session):
        # Plan every search for its own words. After five runs psycopg prepares statements
        # and PostgreSQL may switch to one generic plan, blind to how many articles a word
        # matches: walking the whole id index for a rare word, or rechecking every match of
        # a common one (measured: 100-970 ms instead of 1-25 ms at 100k articles).
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        newest, headline, broad = await _postgres_newest(session, query, mode, probe)
    else:
        newest = await _sqlite_newest(session, query, fts5_expression(query, mode), probe)
        broad = len(newest) >= BROAD_MATCHES
        headline = []
        if broad:
            headline = await _sqlite_newest(
                session,
                query,
                fts5_expression(query, mode, headline_only=True),
                CANDIDATES,
                from_id=newest[-1],
            )
    if query.sort is Sort.NEWEST:
        return [(ident, BROAD_OTHER_SCORE) for ident in newest]  # ordered by date in search
    if not broad:
        return await _scored(session, query, mode, newest) if newest else []
    # Broad: scoring would first read every match of every word (FTS5 for bm25's
    # statistics, PostgreSQL to count the words in each), 30-150 ms for a word in most of
    # 100k articles. Of the newest matches, those with the words in the title or lead come
    # first, then the rest, each newest first; the recency boost orders within a tier.
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
    period: Period | None = None,
    sort: Sort | None = None,
    zone: ZoneInfo = SEOUL,
) -> SearchResult:
    """Search the store. Never raises for what a reader typed: bad input finds nothing (and
    a period that makes no sense is named in ``result.query.bad_filter``).

    ``period`` and ``sort``, when given, replace what the query text says (a button's
    choice); ``zone`` is where a date such as ``이후:2026-11-01`` starts.
    """
    query = parse_query(text_query, analyzer)
    if section:
        query.section = section.strip() or None
    query.period = period or query.period
    query.sort = sort or query.sort
    result = SearchResult(query=query)
    if query.empty or query.bad_filter:
        return result
    if query.section and strip_controls(query.section) != query.section:
        return result  # no section has control characters in its name
    query.since = result.since = query.period.start(now, zone) if query.period else None
    if query.words:
        aliases = await aliases_of(session, query.words)
        if aliases:
            query = result.query = with_aliases(query, aliases, analyzer)
    found = await _candidates(session, query, Mode.ALL)
    if not found and len(query.terms) > 1:
        result.mode = Mode.ANY
        found = await _candidates(session, query, Mode.ANY)
    if not found:
        return result
    # Re-rank on (id, published_at) only; load whole articles just for the page shown.
    rows = await session.execute(
        select(Article.id, Article.published_at).where(
            Article.id.in_([i for i, _ in found]),
            Article.retracted_at.is_(None),  # an editor took it back: never found again
        )
    )
    published = {ident: when for ident, when in rows}
    newest = query.sort is Sort.NEWEST
    ranked = sorted(
        ((i, _boost(s, published[i], now), published[i]) for i, s in found if i in published),
        key=lambda item: (item[2], item[0]) if newest else (item[1], item[2]),
        reverse=True,
    )[:CANDIDATES]
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
