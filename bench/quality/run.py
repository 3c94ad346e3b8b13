"""Search quality on judged queries: newsbot next to plain FTS5 unicode61 and trigram.

    python -m bench.quality.run [--postgres URL] [--per-query] [--corpus FILE --judged FILE]

Loads the bundled samples (newsbot/data/samples/articles.ndjson) into a fresh SQLite store
through newsbot's own importer, which also builds newsbot's search index, and runs every query
of bench/quality/judged.json through newsbot's `search` (limit 10). The two baselines are
built here, in an in-memory sqlite3 database over the same stored articles (title, lead, body
as FTS5 columns), and queried as typed: every word quoted, words AND-ed, ranked by bm25.
With --postgres (or NEWSBOT_TEST_POSTGRES_URL) newsbot is also measured on a fresh
PostgreSQL database, created and dropped here.

A judged query lists its relevant articles (``"relevant": [guid, ...]``, each grade 1) or
grades them (``"judgments": {guid: 2 or 1}``, 2 the article the query is after); with
graded judgments the tables also give nDCG@10. ``--corpus`` and ``--judged`` measure another
article set (NDJSON in the importer's format) and its judged queries.

Prints Markdown: recall@10 and MRR per system, recall@10 per query kind, and the queries
where newsbot's recall@10 is below 1 with what it missed. Nothing depends on the wall clock:
searches use a fixed "now" and the import a fixed clock.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import sqlite3
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from bench.stores import postgres_database
from newsbot.app import open_app
from newsbot.clock import FixedClock
from newsbot.config import Settings
from newsbot.ingest.importer import Format, import_articles
from newsbot.search.engine import search
from newsbot.search.query import parse_query
from newsbot.store import migrate
from newsbot.store.models import Article
from newsbot.text.analyzer import default_analyzer

HERE = Path(__file__).resolve().parent
JUDGED = HERE / "judged.json"
SAMPLES = HERE.parent.parent / "newsbot" / "data" / "samples" / "articles.ndjson"
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 12:00 KST, the day after the samples end
K = 10
DIAGNOSTIC_DEPTH = 200  # how deep to look for a missed article's rank
# The kinds of the bundled set, in the order the tables show them; other sets may add kinds.
KINDS = ("particle", "two-syllable", "compound", "mixed", "multiword", "phrase", "section")
_SECTION = re.compile(r"^(?:section|섹션|분야):(.+)$", re.IGNORECASE)  # as newsbot reads it
_PIECES = re.compile(r'"([^"]*)"?|(\S+)')


# --- judged queries ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Judged:
    query: str
    kind: str
    grades: dict[str, int]  # guid -> 1 (relevant) or 2 (what the query is after)

    @property
    def relevant(self) -> tuple[str, ...]:
        return tuple(guid for guid, grade in self.grades.items() if grade > 0)


def _grades(item: dict[str, object]) -> dict[str, int]:
    if "judgments" in item:
        judgments = item["judgments"]
        assert isinstance(judgments, dict), "judgments: an object of guid: grade"
        return {str(guid): int(grade) for guid, grade in judgments.items()}
    relevant = item["relevant"]
    assert isinstance(relevant, list), "relevant: a list of guids"
    return dict.fromkeys((str(guid) for guid in relevant), 1)


def load_judged(path: Path, known: set[str]) -> list[Judged]:
    """The judged queries of ``path``, in either format (see the module docstring)."""
    judged = []
    for item in json.loads(path.read_text(encoding="utf-8")):
        entry = Judged(str(item["query"]), str(item["kind"]), _grades(item))
        unknown = set(entry.grades) - known
        if unknown or not entry.relevant or any(g not in (0, 1, 2) for g in entry.grades.values()):
            raise ValueError(f"{entry.query!r}: bad judgments (unknown: {sorted(unknown)})")
        judged.append(entry)
    if len({j.query for j in judged}) != len(judged):
        raise ValueError("a query is judged twice")
    return judged


# --- newsbot -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Doc:
    guid: str
    title: str
    lead: str
    body: str
    section: str | None


@dataclass(slots=True)
class NewsbotRun:
    top: dict[str, list[str]] = field(default_factory=dict)  # query -> top-10 guids
    deep: dict[str, list[str]] = field(default_factory=dict)  # query -> up to 200, for misses
    total: dict[str, int] = field(default_factory=dict)  # query -> articles matched (<= 200)
    docs: list[Doc] = field(default_factory=list)  # the articles as stored


async def run_newsbot(
    url: str, judged: Sequence[Judged], *, corpus: Path = SAMPLES, now: datetime = NOW
) -> NewsbotRun:
    """Import ``corpus`` into the store at ``url`` (migrated here) and run every query."""
    migrate.upgrade(url)
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    analyzer = default_analyzer()
    run = NewsbotRun()
    async with open_app(settings, clock=FixedClock(now)) as app:
        report = await import_articles(
            app.sessions, corpus, fmt=Format.NDJSON, zone=settings.zone, clock=app.clock
        )
        assert not report.problems, report.problems[:3]
        async with app.sessions() as session:
            stored = list(await session.scalars(select(Article).order_by(Article.guid)))
            run.docs = [Doc(a.guid or "", a.title, a.lead, a.body, a.section) for a in stored]
            for entry in judged:
                result = await search(session, analyzer, entry.query, now=now, limit=K)
                run.top[entry.query] = [hit.article.guid or "" for hit in result.hits]
                run.total[entry.query] = result.total
                found = set(run.top[entry.query])
                if not set(entry.relevant) <= found:
                    deep = await search(
                        session, analyzer, entry.query, now=now, limit=DIAGNOSTIC_DEPTH
                    )
                    run.deep[entry.query] = [hit.article.guid or "" for hit in deep.hits]
    return run


# --- baselines: plain FTS5, queried as typed ---------------------------------------------------


def split_section(text: str) -> tuple[str, str | None]:
    """The query without its section:/섹션:/분야: word, and that section (newsbot's syntax)."""
    section = None
    words = []
    for word in text.split():
        if found := _SECTION.match(word):
            section = found.group(1).strip() or None
        else:
            words.append(word)
    return " ".join(words), section


def as_typed(text: str) -> str | None:
    """Every word (or "quoted phrase") as one quoted FTS5 string, AND-ed; None when empty."""
    strings = []
    for match in _PIECES.finditer(text):
        piece = match.group(1) if match.group(1) is not None else match.group(2)
        if piece and piece.strip():
            strings.append('"' + piece.strip().replace('"', '""') + '"')
    return " AND ".join(strings) if strings else None


class Baseline:
    """One FTS5 table over title, lead and body with a stock tokenizer, bm25-ranked."""

    def __init__(self, tokenizer: str, docs: Sequence[Doc]) -> None:
        self.tokenizer = tokenizer
        self.errors = 0
        self.db = sqlite3.connect(":memory:")
        self.db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5("
            f"title, lead, body, guid UNINDEXED, section UNINDEXED, tokenize='{tokenizer}')"
        )
        self.db.executemany(
            "INSERT INTO docs (title, lead, body, guid, section) VALUES (?, ?, ?, ?, ?)",
            [(d.title, d.lead, d.body, d.guid, d.section) for d in docs],
        )

    def search(self, query: str) -> list[str]:
        text, section = split_section(query)
        expression = as_typed(text)
        if expression is None:
            return []
        sql = "SELECT guid FROM docs WHERE docs MATCH ?"
        params: list[object] = [expression]
        if section:
            sql += " AND section = ?"
            params.append(section)
        sql += " ORDER BY bm25(docs), rowid LIMIT ?"
        params.append(K)
        try:
            return [str(row[0]) for row in self.db.execute(sql, params)]
        except sqlite3.OperationalError:
            self.errors += 1  # an FTS5 syntax error counts as nothing found
            return []


# --- metrics -----------------------------------------------------------------------------------


def recall(relevant: Sequence[str], top: Sequence[str]) -> float:
    """Of the relevant articles (at most K of them can fit), the share in the top K."""
    return len(set(relevant) & set(top[:K])) / min(len(relevant), K)


def reciprocal_rank(relevant: Sequence[str], top: Sequence[str]) -> float:
    wanted = set(relevant)
    return next((1 / rank for rank, guid in enumerate(top[:K], 1) if guid in wanted), 0.0)


def ndcg(grades: dict[str, int], top: Sequence[str]) -> float:
    """nDCG@K with gains 2^grade - 1: 1 when the top K are the best-graded articles in order."""
    gains = [2 ** grades.get(guid, 0) - 1 for guid in top[:K]]
    ideal = sorted((2**g - 1 for g in grades.values()), reverse=True)[:K]

    def dcg(values: Sequence[int]) -> float:
        return sum(v / math.log2(rank + 1) for rank, v in enumerate(values, 1))

    best = dcg(ideal)
    return dcg(gains) / best if best else 0.0


def graded(judged: Sequence[Judged]) -> bool:
    return any(grade > 1 for j in judged for grade in j.grades.values())


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


@dataclass(frozen=True, slots=True)
class System:
    name: str
    top: dict[str, list[str]]


def summary_table(systems: Sequence[System], judged: Sequence[Judged]) -> list[str]:
    with_ndcg = graded(judged)
    lines = [
        f"| system | recall@{K} | MRR | "
        + (f"nDCG@{K} | " if with_ndcg else "")
        + "queries fully found | queries with no relevant hit |",
        "|---|---|---|---|---|" + ("---|" if with_ndcg else ""),
    ]
    for system in systems:
        recalls = [recall(j.relevant, system.top[j.query]) for j in judged]
        rrs = [reciprocal_rank(j.relevant, system.top[j.query]) for j in judged]
        ndcgs = [ndcg(j.grades, system.top[j.query]) for j in judged]
        full = sum(r == 1 for r in recalls)
        none = sum(r == 0 for r in recalls)
        lines.append(
            f"| {system.name} | {mean(recalls):.3f} | {mean(rrs):.3f} | "
            + (f"{mean(ndcgs):.3f} | " if with_ndcg else "")
            + f"{full}/{len(judged)} | {none}/{len(judged)} |"
        )
    return lines


def kinds_of(judged: Sequence[Judged]) -> list[str]:
    seen = [k for k in KINDS if any(j.kind == k for j in judged)]
    return seen + sorted({j.kind for j in judged} - set(KINDS))


def kind_table(systems: Sequence[System], judged: Sequence[Judged]) -> list[str]:
    kinds = kinds_of(judged)
    counts = {k: sum(j.kind == k for j in judged) for k in kinds}
    lines = [
        "| system | " + " | ".join(f"{k} ({counts[k]})" for k in kinds) + " |",
        "|---|" + "---|" * len(kinds),
    ]
    for system in systems:
        cells = [
            mean([recall(j.relevant, system.top[j.query]) for j in judged if j.kind == k])
            for k in kinds
        ]
        lines.append(f"| {system.name} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")
    return lines


def per_query_table(systems: Sequence[System], judged: Sequence[Judged]) -> list[str]:
    lines = [
        "| query | kind | relevant | " + " | ".join(s.name for s in systems) + " |",
        "|---|---|---|" + "---|" * len(systems),
    ]
    for j in judged:
        cells = [f"{recall(j.relevant, s.top[j.query]):.2f}" for s in systems]
        lines.append(f"| `{j.query}` | {j.kind} | {len(j.relevant)} | " + " | ".join(cells) + " |")
    return lines


def reading(query: str) -> str:
    """How newsbot reads the query: per word, the bigram phrase and the morphemes."""
    parsed = parse_query(query, default_analyzer())
    terms = [
        "["
        + " ".join(t.bigrams)
        + "]"
        + (" or {" + ", ".join(t.morphemes) + "}" if t.morphemes else "")
        for t in parsed.terms
    ]
    section = f" in section {parsed.section}" if parsed.section else ""
    return " AND ".join(terms) + section


def misses(
    name: str, run: NewsbotRun, judged: Sequence[Judged], titles: dict[str, str]
) -> list[str]:
    lines = []
    for j in judged:
        top = run.top[j.query]
        missed = [g for g in j.relevant if g not in top]
        if not missed:
            continue
        deep = run.deep.get(j.query, top)
        where = [
            f"{g} ({titles[g]}): " + (f"rank {deep.index(g) + 1}" if g in deep else "not matched")
            for g in missed
        ]
        lines.append(
            f"- `{j.query}` ({j.kind}) recall@{K} {recall(j.relevant, top):.2f}, "
            f"{run.total[j.query]} matched; read as {reading(j.query)}"
        )
        lines.extend(f"  - missed {w}" for w in where)
    if not lines:
        return [f"{name}: every relevant article of every query is in the top {K}."]
    return [f"{name}:", "", *lines]


# --- main --------------------------------------------------------------------------------------


def corpus_guids(corpus: Path) -> set[str]:
    lines = corpus.read_text("utf-8").splitlines()
    return {str(json.loads(line)["guid"]) for line in lines if line.strip()}


def evaluate(
    postgres: str | None,
    per_query: bool,
    emit: Callable[[str], None],
    *,
    corpus: Path = SAMPLES,
    judged_path: Path = JUDGED,
    now: datetime = NOW,
) -> None:
    judged = load_judged(judged_path, corpus_guids(corpus))
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_run = asyncio.run(
            run_newsbot(f"sqlite:///{tmp}/quality.db", judged, corpus=corpus, now=now)
        )
    runs = [("newsbot (SQLite)", sqlite_run)]
    if postgres:
        with postgres_database(postgres, "newsbot_quality") as url:
            pg_run = asyncio.run(run_newsbot(url, judged, corpus=corpus, now=now))
            runs.append(("newsbot (PostgreSQL)", pg_run))

    baselines = [Baseline(t, sqlite_run.docs) for t in ("unicode61", "trigram")]
    systems = [System(label, run.top) for label, run in runs]
    for baseline in baselines:
        top = {j.query: baseline.search(j.query) for j in judged}
        systems.append(System(f"FTS5 {baseline.tokenizer}, as typed", top))
    titles = {d.guid: d.title for d in sqlite_run.docs}

    emit(
        f"## Search quality: {len(judged)} judged queries over the {len(sqlite_run.docs)} "
        f"articles of {corpus.name}"
    )
    emit("")
    emit(
        f"recall@{K} = mean over queries of |relevant ∩ top {K}| / |relevant|; MRR = mean "
        f"reciprocal rank of the first relevant hit in the top {K} (0 if none)"
        + (f"; nDCG@{K} with gains 2^grade - 1 over the graded judgments" if graded(judged) else "")
        + f". newsbot: `search(..., limit={K}, now={now.isoformat()})`. Baselines: FTS5 "
        "over title, lead, body of the same stored articles, every query word quoted and "
        "AND-ed, bm25 order; section: words become a section filter."
    )
    emit("")
    for line in summary_table(systems, judged):
        emit(line)
    emit("")
    emit(f"### recall@{K} by query kind (number of queries)")
    emit("")
    for line in kind_table(systems, judged):
        emit(line)
    for baseline in baselines:
        if baseline.errors:
            emit(f"\n({baseline.tokenizer}: {baseline.errors} queries raised an FTS5 error)")
    if per_query:
        emit("")
        emit(f"### recall@{K} per query")
        emit("")
        for line in per_query_table(systems, judged):
            emit(line)
    emit("")
    emit(f"### Queries where newsbot's recall@{K} < 1")
    emit("")
    emit(
        "Read as: per word, the bigram phrase [..] or all morphemes {..}, as newsbot's query "
        f"parser writes them. A missed article's rank is its place in the first "
        f"{DIAGNOSTIC_DEPTH} results."
    )
    for label, run in runs:
        emit("")
        for line in misses(label, run, judged, titles):
            emit(line)
    emit("")
    for label, run in runs:
        crowded = sum(run.total[j.query] > K for j in judged)
        emit(
            f"{label} matched more than {K} articles for {crowded} of {len(judged)} queries "
            f"(there the ranking decides recall@{K}; elsewhere only the matching does)."
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("NEWSBOT_TEST_POSTGRES_URL"))
    parser.add_argument("--per-query", action="store_true", help="also print every query")
    parser.add_argument("--corpus", type=Path, default=SAMPLES, help="articles, NDJSON")
    parser.add_argument("--judged", type=Path, default=JUDGED, help="judged queries, JSON")
    parser.add_argument(
        "--now", type=datetime.fromisoformat, default=NOW, help="searches' now (ISO, with zone)"
    )
    args = parser.parse_args()
    evaluate(
        args.postgres or None,
        args.per_query,
        print,
        corpus=args.corpus,
        judged_path=args.judged,
        now=args.now,
    )


if __name__ == "__main__":
    main()
