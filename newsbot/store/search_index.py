"""Keeping the search index in step with the articles.

The store owns the index outright: ``store_drafts`` indexes what it stores in the same
transaction, so no caller can store an article and forget its document, and the search
package above only reads the index.
Every stored, corrected or re-imported article passes through ``index_articles``; deleting an
article deletes its document by cascade (and the FTS5 triggers follow). Only titles get Kiwi
morphemes; leads and bodies are indexed by bigrams. Kiwi on leads was about 80 % of the
indexing time, and dropping it left search quality unchanged (bench/quality: recall@10 0.993,
MRR 1.000 either way) while indexing 5,000 articles went from 332 to 644 articles/s.

The analysis (Kiwi, bigrams) is CPU work: it runs on a worker thread on plain copies of the
texts, never on the ORM objects (a lazy load off the event loop would fail), so whoever
stores articles (the poller, `newsbot import`, the CMS push API) leaves the loop free.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from sqlalchemy import (
    func,
    select,
    text,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.store.models import Article, SearchDoc
from newsbot.store.search_words import remember_words
from newsbot.text.analyzer import Analyzer

BATCH = 200
OPTIMIZE_AFTER = 1000  # documents written at once beyond which the index is compacted
# Characters of a body that are indexed: a longer one (a full report pasted into a CMS) is
# stored whole but searched by its first 100,000 characters. PostgreSQL refuses a tsvector
# over 1 MB, which a body of roughly 300 KB reached, and the article was then not stored at
# all; both stores index the same text, so they still find the same articles.
MAX_INDEXED_BODY = 100_000
_TEXT_COLUMNS = ("title_bg", "title_mo", "lead_bg", "lead_mo", "body_bg", "body_mo")


_Texts = tuple[int, int, str, str, str]  # id, revision, title, lead, body


def _texts(articles: Sequence[Article]) -> list[_Texts]:
    return [(a.id, a.revision, a.title, a.lead, a.body[:MAX_INDEXED_BODY]) for a in articles]


def _documents(analyzer: Analyzer, texts: Sequence[_Texts]) -> list[dict[str, object]]:
    titles = analyzer.morpheme_texts([title for _, _, title, _, _ in texts])
    return [
        {
            "article_id": ident,
            "revision": revision,
            "title_bg": analyzer.bigram_text(title),
            "title_mo": title_mo,
            "lead_bg": analyzer.bigram_text(lead),
            "lead_mo": "",  # bigrams only: see the module docstring
            "body_bg": analyzer.bigram_text(body),
            "body_mo": "",
        }
        for (ident, revision, title, lead, body), title_mo in zip(texts, titles, strict=True)
    ]


# Labels keep morphemes apart from bigrams, so a query's morphemes can be limited to the
# morpheme streams as on SQLite (A: title morphemes, B: lead morphemes, C: title and lead
# bigrams, D: body bigrams); search ranks the labels with its own weights.
_WEIGHTS = (
    ("title_mo", "A"),
    ("lead_mo", "B"),
    ("title_bg", "C"),
    ("lead_bg", "C"),
    ("body_bg", "D"),
)
_PG_COLUMNS = ("article_id", "revision", *_TEXT_COLUMNS)
# One statement for every row (executemany): the weighted tsvector is computed by PostgreSQL
# from the row's own parameters. Building it as an expression per row cost SQLAlchemy ~1.4 ms
# a row of Python on the event loop (1.5 s for 1,000 articles, compiling included).
_TSV = " || ".join(
    f"setweight(to_tsvector('simple'::regconfig, CAST(:{c} AS TEXT)), '{w}'::\"char\")"
    for c, w in _WEIGHTS
)
_SET = ", ".join(f"{c} = excluded.{c}" for c in ("revision", *_TEXT_COLUMNS, "tsv"))
_PG_UPSERT = text(  # constant names only; every value is a bound parameter
    f"INSERT INTO search_docs ({', '.join(_PG_COLUMNS)}, tsv) "  # noqa: S608
    f"VALUES ({', '.join(f':{c}' for c in _PG_COLUMNS)}, {_TSV}) "
    f"ON CONFLICT (article_id) DO UPDATE SET {_SET}"
)
MORPHEME_LABELS = "AB"  # morphemes are indexed for titles and leads only
HEADLINE_BIGRAM_LABEL = "C"
BIGRAM_LABELS = "CD"  # where a phrase of bigrams may run: never through the morphemes


async def index_articles(
    session: AsyncSession, analyzer: Analyzer, articles: Sequence[Article]
) -> None:
    """Write (or rewrite) the search documents of these articles; the caller commits."""
    postgres = session.get_bind().dialect.name == "postgresql"
    for start in range(0, len(articles), BATCH):
        texts = _texts(articles[start : start + BATCH])
        rows = await asyncio.to_thread(_documents, analyzer, texts)
        if not rows:
            continue
        await remember_words(session, (str(row["title_mo"]) for row in rows))
        if postgres:
            await session.execute(_PG_UPSERT, rows)
            continue
        statement = sqlite_insert(SearchDoc).values(rows)
        updates = {c: statement.excluded[c] for c in ("revision", *_TEXT_COLUMNS)}
        await session.execute(
            statement.on_conflict_do_update(index_elements=["article_id"], set_=updates)
        )


async def unindexed_count(session: AsyncSession) -> int:
    query = (
        select(func.count())
        .select_from(Article)
        .outerjoin(SearchDoc, SearchDoc.article_id == Article.id)
        .where((SearchDoc.article_id.is_(None)) | (SearchDoc.revision != Article.revision))
    )
    return int(await session.scalar(query) or 0)


async def optimize(session: AsyncSession) -> None:
    """Compact the index after many writes; commits.

    Rewriting every document leaves FTS5 with many segments and delete markers, and search
    reads all of them until they are merged: at 100k articles search p95 went from 52 to 28
    ms after an optimize, which took 11 s. PostgreSQL gets its GIN pending list merged and
    fresh statistics for the planner.
    """
    if session.get_bind().dialect.name == "postgresql":
        for index in ("ix_search_docs_tsv", "ix_search_keys_keys"):
            await session.execute(
                text("SELECT gin_clean_pending_list(CAST(:i AS regclass))"), {"i": index}
            )
            await session.commit()
        connection = await session.connection()
        await connection.exec_driver_sql("ANALYZE search_docs, search_keys")
    else:
        await session.execute(text("INSERT INTO search_fts(search_fts) VALUES ('optimize')"))
    await session.commit()


async def reindex(
    session: AsyncSession,
    analyzer: Analyzer,
    *,
    only_missing: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """(Re)build documents for every article, or only for those missing or out of date."""
    query = select(Article.id).order_by(Article.id)
    if only_missing:
        query = query.outerjoin(SearchDoc, SearchDoc.article_id == Article.id).where(
            (SearchDoc.article_id.is_(None)) | (SearchDoc.revision != Article.revision)
        )
    ids = list(await session.scalars(query))
    done = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        articles = list(await session.scalars(select(Article).where(Article.id.in_(chunk))))
        await index_articles(session, analyzer, articles)
        await session.commit()
        done += len(chunk)
        if progress:
            progress(done, len(ids))
    if done >= OPTIMIZE_AFTER:
        await optimize(session)
    return done
