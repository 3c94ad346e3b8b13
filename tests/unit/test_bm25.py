"""newsbot.search.bm25 scores exactly as SQLite FTS5's bm25() does, given the same counts.

FTS5 runs in memory here (no file, no network): it is the specification being matched.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import pytest

from newsbot.search.bm25 import Phrase, idf, phrases, score, weighted_frequencies
from newsbot.search.engine import BM25_WEIGHTS
from newsbot.search.query import Mode, ParsedQuery, Term, fts5_expression

COLUMNS = ("title_bg", "title_mo", "lead_bg", "lead_mo", "body_bg", "body_mo")
KIND_COLUMNS = {"b": (0, 2, 4), "m": (1, 3, 5)}
DOCS = [
    ("제주 감귤", "제주 감귤", "감귤 농가", "", "감귤 감귤 드론 드론", ""),
    ("드론 택배", "드론 택배", "드론 배송 시범", "", "ai 2023 년 드론", ""),
    ("성남 남시 예산", "성남시 예산", "예산 4조", "", "성남 남시 의회 제출", ""),
    ("울산 화재", "울산 화재", "", "", "성남 감귤 드론", ""),
    ("하하 하하 하하", "", "", "", "드론 택배 드론 택배", ""),
    *[("기타", "기타", "기사", "", "아무 말", "")] * 6,
]
QUERIES = {
    "one word": ParsedQuery(terms=[Term(bigrams=("드론",), morphemes=("드론",))]),
    "a three-syllable word": ParsedQuery(
        terms=[Term(bigrams=("성남", "남시"), morphemes=("성남시",))]
    ),
    "a word whose morphemes are not all there": ParsedQuery(
        terms=[Term(bigrams=("감귤",), morphemes=("감귤", "택배"))]
    ),
    "two words": ParsedQuery(
        terms=[Term(bigrams=("드론",), morphemes=("드론",)), Term(bigrams=("택배",))]
    ),
    "a repeated token": ParsedQuery(terms=[Term(bigrams=("하하", "하하"))]),
    "a word and its alias": ParsedQuery(
        terms=[
            Term(
                bigrams=("ai",),
                morphemes=("ai",),
                alternatives=(Term(bigrams=("드론",), morphemes=("드론", "택배")),),
            )
        ]
    ),
    "an exclusion": ParsedQuery(
        terms=[Term(bigrams=("드론",))], excluded=[Term(bigrams=("택배",))]
    ),
}


def _occurrences(text: str, tokens: Sequence[str]) -> int:
    words = text.split()
    k = len(tokens)
    return sum(tuple(words[i : i + k]) == tuple(tokens) for i in range(len(words) - k + 1))


def _counts(doc: Sequence[str], found: Sequence[Phrase]) -> list[int]:
    return [_occurrences(doc[c], p.tokens) for p in found for c in KIND_COLUMNS[p.kind]]


def _ours(query: ParsedQuery) -> dict[int, float]:
    found = phrases(query)
    documents = len(DOCS)
    mean_length = sum(len(" ".join(d).split()) for d in DOCS) / documents
    holding = [sum(any(_counts(d, [p])) for d in DOCS) for p in found]
    idfs = [idf(documents, n) for n in holding]
    return {
        rowid: score(
            weighted_frequencies(found, _counts(doc, found), BM25_WEIGHTS),
            idfs,
            len(" ".join(doc).split()),
            mean_length,
        )
        for rowid, doc in enumerate(DOCS, 1)
    }


@pytest.mark.parametrize("mode", [Mode.ALL, Mode.ANY])
@pytest.mark.parametrize("name", list(QUERIES))
def test_scores_equal_fts5_bm25(name: str, mode: Mode) -> None:
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE VIRTUAL TABLE f USING fts5({', '.join(COLUMNS)})")
    db.executemany(f"INSERT INTO f VALUES ({', '.join('?' * len(COLUMNS))})", DOCS)
    weights = ", ".join(str(w) for w in BM25_WEIGHTS)
    query = QUERIES[name]
    rows = db.execute(
        f"SELECT rowid, -bm25(f, {weights}) FROM f WHERE f MATCH ?",
        (fts5_expression(query, mode),),
    ).fetchall()
    assert rows, "every query matches something"
    ours = _ours(query)
    assert {rowid: pytest.approx(ours[rowid], rel=1e-12) for rowid, _ in rows} == dict(rows)


def test_a_phrase_in_more_than_half_the_documents_weighs_almost_nothing() -> None:
    assert idf(10, 6) == 1e-6
    assert idf(10, 1) > idf(10, 2) > 0
