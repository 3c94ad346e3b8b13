"""Ingestion throughput: CMS-export import into a fresh store, first and repeated.

    python -m bench.ingest [--count N] [--postgres URL]

Prints articles/s for a first import (all new) and a re-import (all unchanged, the common case
for polling), plus the process's peak RSS. PostgreSQL is measured when --postgres (or
NEWSBOT_TEST_POSTGRES_URL) names a server where the user may create databases.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import tempfile
import time
from pathlib import Path

from bench.corpus import write_ndjson
from bench.stores import postgres_database
from newsbot.app import open_app
from newsbot.clock import SystemClock
from newsbot.config import Settings
from newsbot.ingest.importer import Format, import_articles
from newsbot.store import migrate


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def measure(url: str, export: Path, count: int) -> dict[str, float]:
    migrate.upgrade(url)
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    figures: dict[str, float] = {}
    async with open_app(settings, clock=SystemClock()) as app:
        for label in ("first import", "re-import"):
            started = time.perf_counter()
            report = await import_articles(
                app.sessions, export, fmt=Format.NDJSON, zone=settings.zone, clock=app.clock
            )
            elapsed = time.perf_counter() - started
            stored = sum(report.counts.values())
            assert stored == count, report.problems[:3]
            figures[label] = count / elapsed
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--postgres", default=os.environ.get("NEWSBOT_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        export = write_ndjson(Path(tmp) / "bench.ndjson", args.count)
        rows = [("sqlite", asyncio.run(measure(f"sqlite:///{tmp}/bench.db", export, args.count)))]
        if args.postgres:
            with postgres_database(args.postgres, "newsbot_bench") as url:
                rows.append(("postgresql", asyncio.run(measure(url, export, args.count))))
    print(f"ingest: {args.count:,} synthetic Korean articles (bench/corpus.py, seed fixed)")
    print("| store | first import (articles/s) | re-import, all unchanged (articles/s) |")
    print("|---|---|---|")
    for backend, figures in rows:
        print(f"| {backend} | {figures['first import']:,.0f} | {figures['re-import']:,.0f} |")
    print(f"peak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
