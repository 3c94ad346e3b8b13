"""How much aliases, typo suggestions, periods and newest-first cost a search (issue #12).

    python -m bench.search_beyond [--count 100000] [--vocabulary 100000] [--queries 300]
                                  [--only sqlite|postgresql] [--postgres URL]

For each store: import ``--count`` synthetic articles (bench/corpus.py, fixed seed; the
importer indexes them and fills the vocabulary), pad the vocabulary with ``--vocabulary``
random Hangul words (the synthetic corpus reuses the samples' few hundred title words, a
real archive of 100k articles has tens of thousands), then time with the default aliases
in place:

* search for plain words, the same with ``기간:7일``, with ``최신순``, and an aliased word
* ``aliases_of`` alone (the look-up every search makes)
* ``suggest`` for one-jamo typos of indexed words (what a reader who found nothing waits for)

Figures go to stdout as a Markdown table; progress to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, insert, select, text

from bench import corpus
from bench.stores import fresh_store, stores_to_run
from newsbot.app import open_app
from newsbot.clock import FixedClock
from newsbot.config import Settings
from newsbot.ingest.importer import Format, import_articles
from newsbot.search.aliases import aliases_of
from newsbot.search.engine import search
from newsbot.search.suggest import suggest
from newsbot.store import migrate
from newsbot.store.models import SearchWord
from newsbot.text.analyzer import default_analyzer
from newsbot.text.jamo import jamo

SEED = 20261206
SYLLABLES = "가나다라마바사아자차카타파하성남시청드론도로교통안전행정경제문화체육의회예산주택공사"
LIMIT = 5


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _typo(word: str, rng: random.Random) -> str | None:
    """The word with one syllable's final consonant dropped or changed (one jamo)."""
    spots = [i for i, c in enumerate(word) if 0xAC00 <= ord(c) <= 0xD7A3]
    if not spots:
        return None
    i = rng.choice(spots)
    code = ord(word[i]) - 0xAC00
    final = code % 28
    new_final = 0 if final else rng.randint(1, 27)
    return word[:i] + chr(0xAC00 + code - final + new_final) + word[i + 1 :]


def _quantiles(samples: list[float]) -> str:
    cuts = statistics.quantiles(samples, n=100)
    return f"{statistics.median(samples):.1f} / {cuts[94]:.1f} / {max(samples):.1f}"


async def _timed(
    count: int, step: Callable[[int], Awaitable[object]], warmup: int = 10
) -> list[float]:
    for n in range(warmup):
        await step(n)
    samples = []
    for n in range(count):
        started = time.perf_counter()
        await step(n)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def measure(url: str, count: int, vocabulary: int, queries: int) -> dict[str, str]:
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    now = datetime(2026, 11, 23, 12, tzinfo=settings.zone)
    analyzer = default_analyzer()
    migrate.upgrade(url)
    rows: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        export = corpus.write_ndjson(Path(tmp) / "export.ndjson", count)
        async with open_app(settings, clock=FixedClock(now)) as app:
            started = time.perf_counter()
            await import_articles(
                app.sessions, export, fmt=Format.NDJSON, zone=settings.zone, clock=app.clock
            )
            log(f"imported {count:,} in {time.perf_counter() - started:.0f} s")
            rng = random.Random(SEED)
            async with app.sessions() as session:
                indexed = list(await session.scalars(select(SearchWord.word)))
                padding = {
                    "".join(rng.choices(SYLLABLES, k=rng.randint(2, 5))) for _ in range(vocabulary)
                } - set(indexed)
                batch = sorted(padding)
                for start in range(0, len(batch), 5000):
                    chunk = batch[start : start + 5000]
                    await session.execute(
                        insert(SearchWord), [{"word": w, "length": len(w)} for w in chunk]
                    )
                await session.commit()
                total_words = await session.scalar(select(func.count()).select_from(SearchWord))
                if url.startswith("postgresql"):
                    # Autovacuum would analyze the fresh tables soon; do it now, not mid-series.
                    await session.execute(text("ANALYZE"))
                    await session.commit()
            rows["vocabulary (words)"] = f"{total_words:,} ({len(indexed):,} from titles)"
            hangul = [w for w in indexed if len(jamo(w)) > len(w) >= 2]
            words = rng.sample(hangul, min(len(hangul), 200))
            typos = [t for t in (_typo(w, rng) for w in words) if t and t not in indexed]

            async def run(query: str) -> None:
                async with app.sessions() as session:
                    await search(session, analyzer, query, now=now, limit=LIMIT)

            plain = await _timed(queries, lambda n: run(words[n % len(words)]))
            rows["search: a word"] = _quantiles(plain)
            week = await _timed(queries, lambda n: run(words[n % len(words)] + " 기간:7일"))
            rows["search: a word 기간:7일"] = _quantiles(week)
            newest = await _timed(queries, lambda n: run(words[n % len(words)] + " 최신순"))
            rows["search: a word 최신순"] = _quantiles(newest)
            aliased = await _timed(queries, lambda n: run("AI" if n % 2 else "인공지능"))
            rows["search: AI / 인공지능 (aliased, few matches)"] = _quantiles(aliased)

            async def look_up(n: int) -> None:
                async with app.sessions() as session:
                    await aliases_of(session, [words[n % len(words)], "ai"])

            rows["aliases_of alone"] = _quantiles(await _timed(queries, look_up))

            async def offer(n: int) -> None:
                text = typos[n % len(typos)]
                async with app.sessions() as session:
                    result = await search(session, analyzer, text, now=now, limit=LIMIT)
                    await suggest(session, analyzer, text, result, now=now)

            log(f"{len(typos)} distinct one-jamo typos")
            rows["search + suggest: one-jamo typos of title words"] = _quantiles(
                await _timed(min(queries, 200), offer)
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--vocabulary", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--postgres", default=os.environ.get("NEWSBOT_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    figures: dict[str, dict[str, str]] = {}
    for store in stores_to_run(parser, args.only, args.postgres):
        with fresh_store(store, args.postgres, "bench_beyond") as url:
            log(f"{store}: {args.count:,} articles")
            figures[store] = asyncio.run(measure(url, args.count, args.vocabulary, args.queries))
    stores = list(figures)
    print("| ms, p50 / p95 / max | " + " | ".join(stores) + " |")
    print("|---|" + "---|" * len(stores))
    for row in next(iter(figures.values())):
        print(f"| {row} | " + " | ".join(figures[s][row] for s in stores) + " |")


if __name__ == "__main__":
    main()
