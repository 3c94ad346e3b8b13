"""SQLite and PostgreSQL rank alike: the same articles load into both stores, every judged
query runs on both, and the two stores' quality and first results must agree (issue #12).

Every judged set runs: the bundled one (bench/quality/judged.json over the samples) and any
set in bench/quality/corpus/ (a ``*.ndjson`` corpus with ``*judged*.json`` files beside it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from bench.quality.run import (
    JUDGED,
    NOW,
    SAMPLES,
    Judged,
    NewsbotRun,
    corpus_guids,
    load_judged,
    mean,
    ndcg,
    recall,
    reciprocal_rank,
    run_newsbot,
)
from newsbot.app import App
from newsbot.search.engine import search
from newsbot.text.analyzer import default_analyzer
from tests.builders import draft, store_articles

KIWI = default_analyzer()
CORPORA = Path(__file__).resolve().parents[2] / "bench" / "quality" / "corpus"
TOLERANCE = 0.01  # recall@10, MRR and nDCG@10 of the two stores may differ by this much
SAME_FIRST = 0.95  # share of queries whose first result must be the same article
SAME_TOP10 = 0.90  # share whose whole top 10 must be the same, in the same order


def _judged_sets() -> list[tuple[Path, Path]]:
    sets = [(SAMPLES, JUDGED)]
    for corpus in sorted(CORPORA.glob("*.ndjson")) if CORPORA.is_dir() else []:
        sets.extend((corpus, judged) for judged in sorted(CORPORA.glob("*judged*.json")))
    return sets


def _latest(corpus: Path) -> datetime:
    """The corpus's last publication time: its searches run as if right after it."""
    lines = corpus.read_text("utf-8").splitlines()
    return max(datetime.fromisoformat(json.loads(line)["published_at"]) for line in lines if line)


@dataclass(frozen=True, slots=True)
class Agreement:
    queries: int
    same_first: int
    same_top10: int

    def __str__(self) -> str:
        return (
            f"{self.queries} queries: same first result {self.same_first}, "
            f"same top 10 in the same order {self.same_top10}"
        )


def _agreement(judged: list[Judged], sqlite: NewsbotRun, postgres: NewsbotRun) -> Agreement:
    return Agreement(
        queries=len(judged),
        same_first=sum(sqlite.top[j.query][:1] == postgres.top[j.query][:1] for j in judged),
        same_top10=sum(sqlite.top[j.query] == postgres.top[j.query] for j in judged),
    )


def _quality(judged: list[Judged], run: NewsbotRun) -> dict[str, float]:
    return {
        "recall@10": mean([recall(j.relevant, run.top[j.query]) for j in judged]),
        "MRR": mean([reciprocal_rank(j.relevant, run.top[j.query]) for j in judged]),
        "nDCG@10": mean([ndcg(j.grades, run.top[j.query]) for j in judged]),
    }


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.parametrize(("corpus", "judged_path"), _judged_sets(), ids=lambda p: p.name)
async def test_both_stores_rank_the_judged_queries_alike(
    corpus: Path, judged_path: Path, tmp_path: Path, pg_url: str
) -> None:
    judged = load_judged(judged_path, corpus_guids(corpus))
    now = NOW if corpus == SAMPLES else _latest(corpus)
    sqlite = await run_newsbot(
        f"sqlite:///{tmp_path / 'parity.db'}", judged, corpus=corpus, now=now
    )
    postgres = await run_newsbot(pg_url, judged, corpus=corpus, now=now)

    agreement = _agreement(judged, sqlite, postgres)
    print(f"{corpus.name} / {judged_path.name}: {agreement}")  # shown with pytest -s
    on_sqlite, on_postgres = _quality(judged, sqlite), _quality(judged, postgres)
    for measure, value in on_sqlite.items():
        assert on_postgres[measure] == pytest.approx(value, abs=TOLERANCE), (measure, agreement)
    assert agreement.same_first >= SAME_FIRST * agreement.queries, str(agreement)
    assert agreement.same_top10 >= SAME_TOP10 * agreement.queries, str(agreement)


async def test_a_quoted_phrase_runs_through_bigrams_only_on_both_stores(app: App) -> None:
    # Kiwi reads 야간개방 as 야간 + 개방: side by side among the title's morphemes, but not
    # as bigrams (야간 간개 개방). FTS5 looks for a phrase in the bigram columns only.
    await store_articles(app, draft("gate", "수원화성 야간개방 마무리"), analyzer=KIWI)
    async with app.sessions() as session:
        quoted = await search(session, KIWI, '"야간 개방"', now=app.clock.now())
        word = await search(session, KIWI, "야간개방", now=app.clock.now())

    assert [h.article.guid for h in quoted.hits] == []
    assert [h.article.guid for h in word.hits] == ["gate"]
