"""SQLite FTS5's bm25, computed on PostgreSQL, so both stores rank matches alike (issue #12).

FTS5 scores a row as the sum over the query's phrases of

    idf * f * (k1 + 1) / (f + k1 * (1 - b + b * D / avgdl))

with k1 = 1.2, b = 0.75, idf = log((N - n + 0.5) / (n + 0.5)) (1e-6 when not positive),
n the rows holding the phrase in its columns, f the phrase's occurrences in the row, each
weighted by its column's weight, D the row's tokens in all columns and avgdl their mean.
A phrase inside an AND that the row does not satisfy counts nothing: a word's morphemes
count only when all of them are there (checked against SQLite; see tests/unit/test_bm25.py).

PostgreSQL keeps D in ``search_docs.doclen`` and n, N and the token total in
``search_terms`` / ``search_totals`` (migration 0012), all written by triggers in the
transaction that writes the documents, so a search reads the statistics of exactly the
documents its snapshot sees, as FTS5 does. n of a one-token phrase is read from there; n of a
longer phrase (a word of three syllables or more, a quoted phrase) is counted on the GIN
index when its rarest bigram is in at most PHRASE_COUNT_LIMIT documents, and otherwise
taken as that bigram's count, an upper bound (the phrase's idf is then lower than FTS5's, by
as much as its bigrams occur apart; counting it exactly would read thousands of documents on
every search).
f is counted in the stored token texts, and only for the few hundred matches being scored
(a phrase overlapping itself, 하하 하하 in 하하 하하 하하, counts once there and twice in FTS5).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.search.query import ParsedQuery

K1 = 1.2
B = 0.75
PHRASE_COUNT_LIMIT = 1000
# Columns of each token kind in FTS5's order (title, lead, body), as search_docs names them.
_COLUMNS = {"b": ("title_bg", "lead_bg", "body_bg"), "m": ("title_mo", "lead_mo", "body_mo")}
# Where each column's weight sits in the engine's six FTS5 weights.
_WEIGHT_INDEX = {"b": (0, 2, 4), "m": (1, 3, 5)}


@dataclass(frozen=True, slots=True)
class Phrase:
    kind: str  # "b": bigram columns, "m": morpheme columns
    tokens: tuple[str, ...]
    term: int  # the query word it belongs to
    together: bool  # a morpheme: counts only when its word's other morphemes are there too


def phrases(query: ParsedQuery) -> list[Phrase]:
    """The query's phrases in FTS5's order (``fts5_expression``): per word, and then per alias
    of it, its bigram phrase, then each morpheme. Excluded words' phrases never occur in a
    match, so they are left out. ``term`` numbers each spelling apart: an alias's morphemes
    count together among themselves, as in FTS5's expression."""
    found: list[Phrase] = []
    spellings = (s for term in query.terms for s in (term, *term.alternatives))
    for index, spelling in enumerate(spellings):
        found.append(Phrase("b", spelling.bigrams, index, together=False))
        found.extend(Phrase("m", (m,), index, together=True) for m in spelling.morphemes)
    return found


def idf(documents: int, holding: int) -> float:
    value = math.log((documents - holding + 0.5) / (holding + 0.5))
    return value if value > 0 else 1e-6


def score(
    frequencies: Sequence[float], idfs: Sequence[float], length: int, mean_length: float
) -> float:
    """One row's bm25, "higher is better" (FTS5's bm25() negated), summed in FTS5's order."""
    total = 0.0
    for frequency, weight in zip(frequencies, idfs, strict=True):
        total += weight * (
            (frequency * (K1 + 1.0)) / (frequency + K1 * (1 - B + B * length / mean_length))
        )
    return total


def weighted_frequencies(
    found: Sequence[Phrase], counts: Sequence[int], weights: Sequence[float]
) -> list[float]:
    """Each phrase's occurrences weighted by column; ``counts`` holds three per phrase (title,
    lead, body). A word's morphemes count only if every one of them occurs."""
    frequencies = []
    for i, phrase in enumerate(found):
        columns = counts[3 * i : 3 * i + 3]
        frequencies.append(
            sum(weights[w] * n for w, n in zip(_WEIGHT_INDEX[phrase.kind], columns, strict=True))
        )
    for i, phrase in enumerate(found):
        if phrase.together and any(
            frequencies[j] == 0 for j, p in enumerate(found) if p.together and p.term == phrase.term
        ):
            frequencies[i] = 0.0
    return frequencies


def _key(kind: str, token: str) -> str:
    return kind + token


def _lexeme(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


async def _holding(session: AsyncSession, found: Sequence[Phrase]) -> list[int]:
    """n for every phrase (see the module docstring)."""
    keys = {_key(p.kind, t) for p in found for t in p.tokens}
    rows = await session.execute(
        text("SELECT term, df FROM search_terms WHERE term = ANY(:keys)"), {"keys": list(keys)}
    )
    df = {term: int(count) for term, count in rows}
    holding = []
    for phrase in found:
        rarest = min(df.get(_key(phrase.kind, t), 0) for t in phrase.tokens)
        if len(phrase.tokens) > 1 and 0 < rarest <= PHRASE_COUNT_LIMIT:
            # Bigrams are labelled C (title and lead) and D (body): see search_index.
            tsquery = " <-> ".join(_lexeme(t) + ":CD" for t in phrase.tokens)
            rarest = int(
                await session.scalar(
                    text("SELECT count(*) FROM search_docs WHERE tsv @@ to_tsquery('simple', :q)"),
                    {"q": tsquery},
                )
                or 0
            )
        holding.append(rarest)
    return holding


def _occurrences_sql(found: Sequence[Phrase]) -> str:
    # Tokens are separated by two spaces and the phrase is looked for with a space on each
    # side, so neighbouring occurrences of one token are both counted. Each column is
    # spaced once (``s``, see bm25_scores), not once per phrase.
    cells = []
    for i, phrase in enumerate(found):
        for column in _COLUMNS[phrase.kind]:
            cells.append(
                f"(s.{column}_len - length(replace(s.{column}, :p{i}, ''))) / length(:p{i})"
            )
    return ", ".join(cells)


def _spaced_sql(found: Sequence[Phrase]) -> str:
    """Each column the phrases need, read from TOAST and spaced once, with its length.

    ``OFFSET 0`` keeps PostgreSQL from folding these into every cell of _occurrences_sql,
    which read and spaced the body again for each phrase (measured: 16-41 ms for the
    matches of one query at 20k articles).
    """
    columns = sorted({c for p in found for c in _COLUMNS[p.kind]})
    spaced = []
    for column in columns:
        spaced.append(f"' ' || replace(x.{column}, ' ', '  ') || ' ' AS {column}")
    return (  # only column names are interpolated
        f"SELECT x.article_id, x.doclen, {', '.join(spaced)} FROM search_docs x "  # noqa: S608
        "WHERE x.article_id = ANY(:ids) OFFSET 0"
    )


async def bm25_scores(
    session: AsyncSession,
    query: ParsedQuery,
    ids: Sequence[int],
    weights: Sequence[float],
    limit: int,
) -> list[tuple[int, float]]:
    """The ``limit`` best of these matching articles by FTS5's bm25, higher is better."""
    found = phrases(query)
    if not ids or not found:
        return []
    totals = (await session.execute(text("SELECT documents, tokens FROM search_totals"))).one()
    documents, tokens = int(totals[0]), int(totals[1])
    if documents <= 0 or tokens <= 0:
        return []
    mean_length = tokens / documents
    idfs = [idf(documents, n) for n in await _holding(session, found)]
    columns = sorted({c for p in found for c in _COLUMNS[p.kind]})
    lengths = ", ".join(f"length(t.{c}) AS {c}_len" for c in columns)
    sql = text(  # only column names and parameter names are interpolated
        f"SELECT s.article_id, s.doclen, {_occurrences_sql(found)} "  # noqa: S608
        f"FROM (SELECT t.*, {lengths} FROM ({_spaced_sql(found)}) AS t OFFSET 0) AS s"
    )
    params: dict[str, object] = {"ids": list(ids)}
    params |= {f"p{i}": " " + "  ".join(p.tokens) + " " for i, p in enumerate(found)}
    scored = []
    for row in await session.execute(sql, params):
        frequencies = weighted_frequencies(found, [int(n) for n in row[2:]], weights)
        scored.append((int(row[0]), score(frequencies, idfs, int(row[1]), mean_length)))
    scored.sort(key=lambda item: (item[1], item[0]), reverse=True)
    return scored[:limit]
