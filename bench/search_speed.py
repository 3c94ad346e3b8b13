"""Search and top-N speed at newsroom scale, on SQLite and PostgreSQL.

    python -m bench.search_speed [--count 100000] [--views 1000000] [--queries 1000]
                                 [--postgres URL] [--only sqlite|postgresql] [--in-process]

For each store: migrate a fresh database (a temp SQLite file; a throwaway PostgreSQL database
when --postgres or NEWSBOT_TEST_POSTGRES_URL names a server), import the synthetic corpus
(bench/corpus.py) through newsbot's importer (store + index), rebuild the whole index with
`reindex` (index only), insert the view rows (bench/views_gen.py), then time `search` over a
fixed, seeded mix of queries and `top_articles` over day/week/month windows, some by section
(the first call per window after the view counts changed, which sums and stores the window's
totals, is reported on its own).

Each store is measured in a fresh child process so its peak RSS (ru_maxrss) is its own. Kiwi
is loaded before anything is timed; its load time and the RSS after it are reported apart.
Latency is wall time per call (time.perf_counter) including opening and closing the session,
as a reader's request would; a few warm-up calls before each series are not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench import corpus, views_gen
from newsbot.app import open_app
from newsbot.clock import FixedClock
from newsbot.config import Settings
from newsbot.ingest.importer import Format, import_articles
from newsbot.ranking import Window, top_articles
from newsbot.search.engine import search
from newsbot.store import migrate
from newsbot.store.articles import Outcome
from newsbot.store.engine import backend_name
from newsbot.store.search_index import reindex
from newsbot.text.analyzer import Analyzer, default_analyzer

QUERY_SEED = 20261126
TOP_SEED = 20261127
WARMUP = 10
SEARCH_LIMIT = 5
TOP_LIMIT = 7
# "Today" for every search (recency boost) and top window: midday on the corpus's last day.
NOW_DAY = (2026, 11, 23, 12, 0)

# Targets from the issue (SQLite).
TARGET_SEARCH_P95_MS = 50.0
TARGET_TOP_P95_MS = 20.0
TARGET_INDEX_RATE = 300.0
TARGET_RSS_MB = 400.0

# Share of each kind of query in the mix (they are shuffled together).
QUERY_MIX: tuple[tuple[str, float], ...] = (
    ("2-syllable noun", 0.25),
    ("noun + particle", 0.20),
    ("compound", 0.10),
    ("2-3 words (AND)", 0.23),
    ("Latin/digits", 0.12),
    ("no AND match (OR fallback)", 0.05),
    ('"quoted phrase"', 0.05),
)
# Words absent from the samples' vocabulary; queries pairing them with real nouns find nothing
# with AND, so the ranked OR fallback runs. Kept only if one of their bigrams is absent too.
ABSENT_WORDS = (
    "메타버스",
    "블록체인",
    "우주정거장",
    "핀테크",
    "양자암호",
    "펭귄",
    "자율주행차",
    "퀀텀컴퓨팅",
    "빙하기",
    "해저터널",
)
_HANGUL = re.compile(r"[가-힣]+")
_LATIN_WORD = re.compile(r"[A-Za-z0-9가-힣]{2,}")
_EDGE_PUNCT = re.compile(r"^[^\w]+|[^\w%]+$")


# --- memory ----------------------------------------------------------------------------------


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def rss_mb() -> float:
    """Current resident set size (VmRSS); the peak when /proc is not there."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_rss_mb()


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} pid {os.getpid()}] {message}", file=sys.stderr, flush=True)


# --- the query mix ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Query:
    kind: str
    text: str


def _has_batchim(syllable: str) -> bool:
    return (ord(syllable) - 0xAC00) % 28 != 0


def _with_particle(noun: str, rng: random.Random) -> str:
    final = _has_batchim(noun[-1])
    particle = rng.choice(
        (
            "은" if final else "는",
            "이" if final else "가",
            "을" if final else "를",
            "의",
            "에서",
            "도",
        )
    )
    return noun + particle


_NOUN_TAGS = frozenset({"NNG", "NNP"})


def _sample_texts() -> list[str]:
    texts = []
    for line in (corpus.SAMPLES / "articles.ndjson").read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            texts.append(f"{record['title']}\n{record['lead']}\n{record['body']}")
    return texts


def _vocabulary_nouns(analyzer: Analyzer) -> tuple[list[str], list[str], list[str], list[str]]:
    """Nouns (2 and 3 syllables), noun compounds and Latin/digit tokens of the samples.

    Nouns are what Kiwi tags NNG/NNP in the samples' sentences (in context, which tags far
    better than isolated words). It is newsbot's own, already loaded Kiwi: no second model.
    """
    kiwi: Any = getattr(analyzer.source, "_kiwi", None)
    assert kiwi is not None, "load the analyzer first"
    texts = _sample_texts()
    nouns2: set[str] = set()
    nouns3: set[str] = set()
    compounds: set[str] = set()
    latin: set[str] = set()
    for text_, tokens in zip(texts, kiwi.tokenize(texts), strict=True):
        for word in re.finditer(r"\S+", text_):
            cleaned = _EDGE_PUNCT.sub("", word.group())
            if _LATIN_WORD.fullmatch(cleaned) and re.search(r"[A-Za-z0-9]", cleaned):
                latin.add(cleaned)
            inside = [t for t in tokens if word.start() <= t.start < word.end()]
            run: list[str] = []  # the word's leading nouns, written together
            end = word.start()
            for token in inside:
                if token.tag not in _NOUN_TAGS or not _HANGUL.fullmatch(token.form):
                    break
                if run and token.start != end:
                    break
                run.append(token.form)
                end = token.start + token.len
            for form in run:
                if len(form) == 2:
                    nouns2.add(form)
                elif len(form) == 3:
                    nouns3.add(form)
            joined = "".join(run)
            if len(joined) >= 4 and len(run) >= 2 and cleaned.startswith(joined):
                compounds.add(joined)
    return sorted(nouns2), sorted(nouns3), sorted(compounds), sorted(latin)


def _absent_words() -> list[str]:
    words, _, _, _ = corpus._vocabulary()
    known = {
        run[i : i + 2] for w in words for run in _HANGUL.findall(w) for i in range(len(run) - 1)
    }
    return [w for w in ABSENT_WORDS if any(w[i : i + 2] not in known for i in range(len(w) - 1))]


def _phrases(count: int, rng: random.Random, stored: int) -> list[str]:
    """Two or three consecutive words of stored (generated) titles: every phrase has a match."""
    titles = [str(r["title"]) for r in corpus.articles(min(stored, 2000))]
    phrases: list[str] = []
    while len(phrases) < count:
        title = rng.choice(titles).split()
        size = rng.choice((2, 3))
        start = rng.randrange(0, max(1, len(title) - size))
        words = [_EDGE_PUNCT.sub("", w) for w in title[start : start + size]]
        words = [w for w in words if w]
        if len(words) >= 2:
            phrases.append('"' + " ".join(words) + '"')
    return phrases


def make_queries(analyzer: Analyzer, total: int, stored: int) -> list[Query]:
    rng = random.Random(QUERY_SEED)
    nouns2, nouns3, compounds, latin = _vocabulary_nouns(analyzer)
    nouns = nouns2 + nouns3
    absent = _absent_words()
    counts = [round(total * share) for _, share in QUERY_MIX]
    counts[0] += total - sum(counts)
    queries: list[Query] = []
    for (kind, _), count in zip(QUERY_MIX, counts, strict=True):
        for _ in range(count):
            if kind == "2-syllable noun":
                query = rng.choice(nouns2)
            elif kind == "noun + particle":
                query = _with_particle(rng.choice(nouns), rng)
            elif kind == "compound":
                query = rng.choice(compounds)
            elif kind == "2-3 words (AND)":
                picked = rng.sample(nouns, rng.choice((2, 3)))
                query = " ".join(
                    _with_particle(w, rng) if rng.random() < 0.3 else w for w in picked
                )
            elif kind == "Latin/digits":
                query = rng.choice(latin)
            elif kind == "no AND match (OR fallback)":
                query = " ".join([rng.choice(nouns), rng.choice(absent)])
            else:
                continue  # phrases below, in one go
            queries.append(Query(kind, query))
    phrase_kind, _ = QUERY_MIX[-1]
    queries.extend(Query(phrase_kind, p) for p in _phrases(counts[-1], rng, stored))
    rng.shuffle(queries)
    return queries


@dataclass(frozen=True, slots=True)
class TopCall:
    window: Window
    section: str | None

    @property
    def label(self) -> str:
        return f"{self.window.value}" + (", one section" if self.section else "")


def make_top_calls(total: int) -> list[TopCall]:
    rng = random.Random(TOP_SEED)
    _, sections, _, _ = corpus._vocabulary()
    windows = (Window.DAY, Window.WEEK, Window.MONTH)
    return [
        TopCall(windows[n % 3], rng.choice(sections) if n % 4 == 3 else None) for n in range(total)
    ]


# --- measuring one store ---------------------------------------------------------------------


@dataclass(slots=True)
class Series:
    """Latencies (ms) of one kind of call, with what the calls returned."""

    samples: list[float] = field(default_factory=list)
    empty: int = 0  # calls that found nothing
    fell_back: int = 0  # search: AND found nothing, OR ran; top: no views, latest instead

    def quantile(self, q: int) -> float:
        if len(self.samples) < 2:
            return self.samples[0] if self.samples else float("nan")
        return statistics.quantiles(self.samples, n=100, method="inclusive")[q - 1]

    def merged(self, other: Series) -> Series:
        return Series(
            self.samples + other.samples,
            self.empty + other.empty,
            self.fell_back + other.fell_back,
        )


@dataclass(slots=True)
class StoreFigures:
    backend: str
    server: str = ""
    kiwi_load_s: float = 0.0
    rss_before_kiwi_mb: float = 0.0
    rss_after_kiwi_mb: float = 0.0
    peak_after_kiwi_mb: float = 0.0
    imported: int = 0
    import_s: float = 0.0
    rss_after_import_mb: float = 0.0
    reindexed: int = 0
    reindex_s: float = 0.0
    views: int = 0
    articles_with_views: int = 0
    views_s: float = 0.0
    size_mb: float = 0.0
    search: dict[str, Series] = field(default_factory=dict)
    top: dict[str, Series] = field(default_factory=dict)
    top_first: dict[str, Series] = field(default_factory=dict)  # first call after new counts
    sample_queries: list[str] = field(default_factory=list)
    peak_rss_mb: float = 0.0
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)  # at the end: other work?

    @property
    def import_rate(self) -> float:
        return self.imported / self.import_s if self.import_s else 0.0

    @property
    def reindex_rate(self) -> float:
        return self.reindexed / self.reindex_s if self.reindex_s else 0.0

    def all_search(self) -> Series:
        total = Series()
        for series in self.search.values():
            total = total.merged(series)
        return total

    def all_top(self) -> Series:
        total = Series()
        for series in self.top.values():
            total = total.merged(series)
        return total


def _progress(label: str, total: int, steps: int = 10) -> Callable[[int, int], None]:
    marks = {total * k // steps for k in range(1, steps + 1)}
    started = time.perf_counter()

    def report(done: int, of: int) -> None:
        if done in marks or done == of:
            seconds = time.perf_counter() - started
            rate = done / seconds if seconds else 0.0
            log(f"{label}: {done:,}/{of:,} in {seconds:.0f} s ({rate:,.0f}/s)")

    return report


def _size_mb(url: str, database_bytes: int | None) -> float:
    if backend_name(url) == "sqlite":
        database = make_url(url).database or ""
        paths = [Path(database + suffix) for suffix in ("", "-wal", "-shm")]
        return sum(p.stat().st_size for p in paths if p.exists()) / 1e6
    return (database_bytes or 0) / 1e6


async def measure(url: str, export: Path, count: int, views: int, queries: int) -> StoreFigures:
    figures = StoreFigures(backend=backend_name(url))
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    zone = settings.zone
    now = datetime(*NOW_DAY, tzinfo=zone)
    clock = FixedClock(now)

    figures.rss_before_kiwi_mb = rss_mb()
    analyzer = default_analyzer()
    started = time.perf_counter()
    analyzer.morpheme_texts(["성남시는 2027년도 예산안을 성남시의회에 제출했다."])
    figures.kiwi_load_s = time.perf_counter() - started
    assert analyzer.source.available, "Kiwi did not load: the figures would be bigram-only"
    figures.rss_after_kiwi_mb = rss_mb()
    figures.peak_after_kiwi_mb = peak_rss_mb()
    log(f"{figures.backend}: Kiwi loaded in {figures.kiwi_load_s:.1f} s")

    migrate.upgrade(url)
    async with open_app(settings, clock=clock) as app:
        if figures.backend == "postgresql":
            async with app.sessions() as session:
                figures.server = str(await session.scalar(text("SHOW server_version")))
        else:
            figures.server = sqlite3.sqlite_version

        size = (await asyncio.to_thread(export.stat)).st_size
        step = max(1, size // 10)
        next_at = [step]
        started = time.perf_counter()

        def import_progress(read: int) -> None:
            if read >= next_at[0]:
                seconds = time.perf_counter() - started
                log(f"import: {read / size:.0%} of the export in {seconds:.0f} s")
                next_at[0] = (read // step + 1) * step

        report = await import_articles(
            app.sessions,
            export,
            fmt=Format.NDJSON,
            zone=zone,
            clock=app.clock,
            progress=import_progress,
        )
        figures.import_s = time.perf_counter() - started
        figures.imported = report.counts[Outcome.NEW]
        assert figures.imported == count, (report.counts, report.problems[:3])
        figures.rss_after_import_mb = rss_mb()
        log(f"import done: {figures.import_rate:,.0f} articles/s, RSS {rss_mb():.0f} MB")

        started = time.perf_counter()
        async with app.sessions() as session:
            figures.reindexed = await reindex(
                session, analyzer, progress=_progress("reindex", count)
            )
        figures.reindex_s = time.perf_counter() - started
        log(f"reindex done: {figures.reindex_rate:,.0f} articles/s, RSS {rss_mb():.0f} MB")

        made = await asyncio.to_thread(
            views_gen.insert_views, url, zone=zone, rows=views, analyze=False
        )
        figures.views, figures.articles_with_views = made.rows, made.articles_with_views
        figures.views_s = made.seconds
        log(f"views: {made.rows:,} rows in {made.seconds:.1f} s")
        async with app.sessions() as session:
            if figures.backend == "postgresql":
                # Autovacuum would analyze the fresh tables soon; do it now, not mid-series.
                await session.execute(text("ANALYZE"))
                await session.commit()
                database_size: int | None = await session.scalar(
                    text("SELECT pg_database_size(current_database())")
                )
            else:
                database_size = None
            figures.size_mb = _size_mb(url, database_size)
            stored = int(await session.scalar(text("SELECT count(*) FROM articles")) or 0)
            assert stored == count

        mix = make_queries(analyzer, queries, count)
        figures.sample_queries = [f"{q.kind}: {q.text}" for q in mix[:12]]
        for query in mix[:WARMUP]:
            async with app.sessions() as session:
                await search(session, analyzer, query.text, now=now, limit=SEARCH_LIMIT)
        for n, query in enumerate(mix, start=1):
            started = time.perf_counter()
            async with app.sessions() as session:
                result = await search(session, analyzer, query.text, now=now, limit=SEARCH_LIMIT)
            elapsed = (time.perf_counter() - started) * 1000
            series = figures.search.setdefault(query.kind, Series())
            series.samples.append(elapsed)
            series.empty += not result.total
            series.fell_back += result.fell_back
            if n % 250 == 0:
                log(f"search: {n}/{len(mix)}")

        # The first call per window after new view counts sums the window once (for every
        # process); timed apart, since every later call reads the stored totals.
        for window in (Window.DAY, Window.WEEK, Window.MONTH):
            started = time.perf_counter()
            async with app.sessions() as session:
                await top_articles(session, window=window, now=now, zone=zone, limit=TOP_LIMIT)
            elapsed = (time.perf_counter() - started) * 1000
            figures.top_first.setdefault(window.value, Series()).samples.append(elapsed)
        calls = make_top_calls(queries)
        for call in calls[:WARMUP]:
            async with app.sessions() as session:
                await top_articles(session, window=call.window, now=now, zone=zone, limit=TOP_LIMIT)
        for n, call in enumerate(calls, start=1):
            started = time.perf_counter()
            async with app.sessions() as session:
                top = await top_articles(
                    session,
                    window=call.window,
                    now=now,
                    zone=zone,
                    limit=TOP_LIMIT,
                    section=call.section,
                )
            elapsed = (time.perf_counter() - started) * 1000
            series = figures.top.setdefault(call.label, Series())
            series.samples.append(elapsed)
            series.empty += not top.entries
            series.fell_back += top.fell_back
            if n % 250 == 0:
                log(f"top: {n}/{len(calls)}")
    figures.peak_rss_mb = peak_rss_mb()
    figures.load_average = os.getloadavg()
    return figures


def run_store(url: str, export: str, count: int, views: int, queries: int) -> StoreFigures:
    """One store, start to end; runs in its own process so ru_maxrss is this store's."""
    return asyncio.run(measure(url, Path(export), count, views, queries))


# --- PostgreSQL scratch database -------------------------------------------------------------


def _admin_conninfo(admin: str) -> str:
    return make_url(admin).set(drivername="postgresql").render_as_string(False)


def pg_database(admin: str) -> tuple[str, str]:
    name = f"newsbot_search_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_admin_conninfo(admin), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, make_url(admin).set(database=name).render_as_string(False)


def drop_database(admin: str, name: str) -> None:
    with psycopg.connect(_admin_conninfo(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- report ----------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:,.0f}"


def _latency_row(first: str, second: str, series: Series, extra: str) -> str:
    return (
        f"| {first} | {second} | {len(series.samples):,} | {_ms(series.quantile(50))} | "
        f"{_ms(series.quantile(95))} | {_ms(series.quantile(99))} | {_ms(max(series.samples))} |"
        f"{extra}"
    )


def summary(f: StoreFigures) -> str:
    found, top = f.all_search(), f.all_top()
    return (
        f"{f.backend} done: import {f.import_rate:,.0f} articles/s, reindex "
        f"{f.reindex_rate:,.0f} articles/s; search p50/p95/p99 {found.quantile(50):.1f}/"
        f"{found.quantile(95):.1f}/{found.quantile(99):.1f} ms; top p50/p95/p99 "
        f"{top.quantile(50):.1f}/{top.quantile(95):.1f}/{top.quantile(99):.1f} ms; "
        f"RSS after Kiwi {f.rss_after_kiwi_mb:.0f} MB, peak {f.peak_rss_mb:.0f} MB"
    )


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def print_report(rows: Sequence[StoreFigures], args: argparse.Namespace, corpus_s: float) -> None:
    print(
        f"search speed: {args.count:,} synthetic Korean articles (bench/corpus.py seed "
        f"{corpus.SEED}), {args.views:,} view rows requested (bench/views_gen.py seed "
        f"{views_gen.SEED}), {args.queries:,} searches and {args.queries:,} top-N calls "
        f"(seeds {QUERY_SEED}/{TOP_SEED}); Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs; corpus written in {corpus_s:.0f} s"
    )
    print()
    print("Build (wall time; import = newsbot's importer: store + index in one transaction per")
    print("500 articles; reindex = `reindex` of every article: Kiwi + bigrams + index writes)")
    print()
    print(
        "| store | server | import: store + index (articles/s) | import (s) "
        "| reindex: index only (articles/s) | reindex (s) | view rows | views insert (rows/s) "
        "| database size (MB) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for f in rows:
        rate = f.views / f.views_s if f.views_s else 0.0
        print(
            f"| {f.backend} | {f.server} | {f.import_rate:,.0f} | {f.import_s:,.0f} "
            f"| {f.reindex_rate:,.0f} | {f.reindex_s:,.0f} | {f.views:,} "
            f"({f.articles_with_views:,} articles) | {rate:,.0f} | {f.size_mb:,.0f} |"
        )
    print()
    print(f"Search latency, ms (search(), page 1, limit {SEARCH_LIMIT}; {WARMUP} warm-up calls)")
    print()
    print("| store | query kind | n | p50 | p95 | p99 | max | no result | OR fallback |")
    print("|---|---|---|---|---|---|---|---|---|")
    for f in rows:
        for kind, _ in QUERY_MIX:
            if kind in f.search:
                s = f.search[kind]
                print(_latency_row(f.backend, kind, s, f" {s.empty} | {s.fell_back} |"))
        s = f.all_search()
        print(_latency_row(f"**{f.backend}**", "**all**", s, f" {s.empty} | {s.fell_back} |"))
    print()
    print(f"Top-N latency, ms (top_articles(), limit {TOP_LIMIT}; {WARMUP} warm-up calls)")
    print()
    print("| store | window | n | p50 | p95 | p99 | max | fell back to latest |")
    print("|---|---|---|---|---|---|---|---|")
    for f in rows:
        for label in sorted(f.top, key=lambda k: (k.split(",")[0] != "day", k)):
            s = f.top[label]
            print(_latency_row(f.backend, label, s, f" {s.fell_back} |"))
        s = f.all_top()
        print(_latency_row(f"**{f.backend}**", "**all**", s, f" {s.fell_back} |"))
    print()
    print(
        "First top-N call per window after new view counts (sums the window's counts once and "
        "stores the totals for every process; not in the series above), ms"
    )
    print()
    print("| store | " + " | ".join(w.value for w in Window) + " |")
    print("|---|" + "---|" * len(Window))
    for f in rows:
        firsts = [_ms(f.top_first[w.value].samples[0]) for w in Window if w.value in f.top_first]
        print(f"| {f.backend} | " + " | ".join(firsts) + " |")
    print()
    print(
        f"Memory, MB (each store in its own process). A load average above {os.cpu_count()} "
        "means other processes competed for the CPUs: the timings above are then pessimistic."
    )
    print()
    print(
        "| store | RSS before Kiwi | Kiwi load (s) | RSS after Kiwi loaded | RSS after import "
        "| peak RSS (ru_maxrss), whole run | load average 1/5/15 min at the end |"
    )
    print("|---|---|---|---|---|---|---|")
    for f in rows:
        print(
            f"| {f.backend} | {f.rss_before_kiwi_mb:.0f} | {f.kiwi_load_s:.1f} "
            f"| {f.rss_after_kiwi_mb:.0f} | {f.rss_after_import_mb:.0f} | {f.peak_rss_mb:.0f} "
            f"| {' / '.join(f'{x:.2f}' for x in f.load_average)} |"
        )
    print()
    print("Targets (the issue's, set for SQLite; PostgreSQL shown for comparison)")
    print()
    print("| target | " + " | ".join(f.backend for f in rows) + " |")
    print("|---|" + "---|" * len(rows))
    checks: list[tuple[str, Callable[[StoreFigures], tuple[str, bool]]]] = [
        (
            f"search p95 < {TARGET_SEARCH_P95_MS:.0f} ms",
            lambda f: (
                _ms(f.all_search().quantile(95)),
                f.all_search().quantile(95) < TARGET_SEARCH_P95_MS,
            ),
        ),
        (
            f"top p95 < {TARGET_TOP_P95_MS:.0f} ms",
            lambda f: (_ms(f.all_top().quantile(95)), f.all_top().quantile(95) < TARGET_TOP_P95_MS),
        ),
        (
            f"index ≥ {TARGET_INDEX_RATE:.0f} articles/s (import, store + index)",
            lambda f: (f"{f.import_rate:,.0f}", f.import_rate >= TARGET_INDEX_RATE),
        ),
        (
            f"index ≥ {TARGET_INDEX_RATE:.0f} articles/s (reindex, index only)",
            lambda f: (f"{f.reindex_rate:,.0f}", f.reindex_rate >= TARGET_INDEX_RATE),
        ),
        (
            f"peak RSS < {TARGET_RSS_MB:.0f} MB with the analyzer loaded",
            lambda f: (f"{f.peak_rss_mb:.0f} MB", f.peak_rss_mb < TARGET_RSS_MB),
        ),
    ]
    for label, check in checks:
        cells = [check(f) for f in rows]
        print(f"| {label} | " + " | ".join(f"{v} ({_met(ok)})" for v, ok in cells) + " |")
    print()
    if rows:
        print("First queries of the mix: " + "; ".join(rows[0].sample_queries))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000, help="articles")
    parser.add_argument("--views", type=int, default=views_gen.ROWS, help="view rows")
    parser.add_argument("--queries", type=int, default=1_000, help="searches (and top calls)")
    parser.add_argument("--postgres", default=os.environ.get("NEWSBOT_TEST_POSTGRES_URL"))
    parser.add_argument("--only", choices=("sqlite", "postgresql"), default=None)
    parser.add_argument(
        "--in-process", action="store_true", help="no child processes (for cProfile)"
    )
    args = parser.parse_args()
    rows: list[StoreFigures] = []
    with tempfile.TemporaryDirectory(prefix="newsbot-search-bench-") as tmp:
        started = time.perf_counter()
        export = corpus.write_ndjson(Path(tmp) / "bench.ndjson", args.count)
        corpus_s = time.perf_counter() - started
        log(f"corpus: {args.count:,} articles written in {corpus_s:.0f} s")
        targets: list[tuple[str, str | None]] = []
        if args.only in (None, "sqlite"):
            targets.append((f"sqlite:///{tmp}/bench.db", None))
        if args.only in (None, "postgresql"):
            if args.postgres:
                name, url = pg_database(args.postgres)
                targets.append((url, name))
            elif args.only == "postgresql":
                parser.error("--only postgresql needs --postgres or NEWSBOT_TEST_POSTGRES_URL")
        try:
            for url, _ in targets:
                job = (url, str(export), args.count, args.views, args.queries)
                if args.in_process:
                    rows.append(run_store(*job))
                else:
                    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
                        rows.append(pool.submit(run_store, *job).result())
                log(summary(rows[-1]))  # in the log at once, should a later store fail
        finally:
            for _, scratch in targets:
                if scratch:
                    drop_database(args.postgres, scratch)
    print_report(rows, args, corpus_s)


if __name__ == "__main__":
    main()
