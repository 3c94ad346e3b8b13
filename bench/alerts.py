"""What the leader's minute of operators' alerts costs on a store the size of a busy year.

    python -m bench.alerts [--rows 1000000] [--chats 100000] [--runs 30] [--postgres URL]

Fills a fresh store with ``--chats`` chats (half with a daily digest, none late), ``--rows``
sent deliveries spread over the last 30 days (the default retention) with one in a
thousand failed, and 200 feeds, three of them failing; then times ``Alerts.check`` (every
check, the dedupe, the commit) ``--runs`` times: it runs once a minute on the leader, and on
SQLite it holds the one writer's lock while it commits.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import UTC, datetime

from sqlalchemy import text

from bench.stores import fresh_store, stores_to_run
from newsbot import event_loop
from newsbot.alerts.model import Rules
from newsbot.alerts.watch import Alerts
from newsbot.app import open_app
from newsbot.clock import SystemClock
from newsbot.config import Settings
from newsbot.store import migrate

SQLITE_NUMBERS = (
    "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < :last) "
    "SELECT n FROM s"
)
PG_NUMBERS = "SELECT generate_series(1, CAST(:last AS INTEGER)) AS n"
MONTH = 30 * 24 * 3600


def _ago(postgres: bool, seconds: str) -> str:
    """SQL for ``:at`` minus ``seconds`` (an SQL expression), as the store keeps times."""
    if postgres:
        return f"CAST(:at AS timestamptz) - make_interval(secs => {seconds})"
    return f"strftime('%Y-%m-%d %H:%M:%f000', :at, '-' || ({seconds}) || ' seconds')"


async def fill(url: str, rows: int, chats: int) -> None:
    migrate.upgrade(url)
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    now = datetime.now(UTC)
    async with open_app(settings, clock=SystemClock()) as app:
        postgres = app.engine.dialect.name == "postgresql"
        at: object = now if postgres else now.replace(tzinfo=None).isoformat(sep=" ")
        numbers = PG_NUMBERS if postgres else SQLITE_NUMBERS
        tomorrow = _ago(postgres, "-86400")
        async with app.sessions() as session:
            await session.execute(
                text(
                    "INSERT INTO chats (platform, platform_chat_id, kind, language, timezone, "
                    "active, created_at, updated_at, digest_time, digest_next_at) "
                    f"SELECT 'telegram', CAST(n AS TEXT), 'private', 'ko', 'Asia/Seoul', TRUE, "
                    f":at, :at, CASE WHEN n % 2 = 0 THEN 480 END, "
                    f"CASE WHEN n % 2 = 0 THEN {tomorrow} END FROM ({numbers}) AS numbers"
                ),
                {"last": chats, "at": at},
            )
            await session.execute(
                text(
                    "INSERT INTO articles (source, url, title, lead, body, published_at, "
                    "date_source, is_breaking, ingested_at, changed_at, revision) VALUES "
                    "('bench', 'https://b.kr/1', '알림', '', '', :at, 'feed', FALSE, :at, :at, 0)"
                ),
                {"at": at},
            )
            sent_at = _ago(postgres, f"n % {MONTH}")
            await session.execute(
                text(
                    "INSERT INTO deliveries (article_id, chat_id, kind, revision, priority, "
                    "state, due_at, attempts, created_at, sent_at) "
                    f"SELECT 1, 1 + n % {chats}, 'headline', n, 2, "
                    "CASE WHEN n % 1000 = 0 THEN 'failed' ELSE 'sent' END, "
                    f"{sent_at}, 1, {sent_at}, "
                    f"CASE WHEN n % 1000 = 0 THEN NULL ELSE {sent_at} END "
                    f"FROM ({numbers}) AS numbers"
                ),
                {"last": rows, "at": at},
            )
            failing = _ago(postgres, "7200")
            await session.execute(
                text(
                    "INSERT INTO feeds (url, interval_seconds, state, error_count, created_at, "
                    "failing_since) SELECT 'https://b.kr/' || CAST(n AS TEXT), 300, "
                    "CASE WHEN n <= 3 THEN 'failing' ELSE 'active' END, 0, :at, "
                    f"CASE WHEN n <= 3 THEN {failing} END FROM ({numbers}) AS numbers"
                ),
                {"last": 200, "at": at},
            )
            await session.commit()
        if postgres:
            async with app.engine.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.exec_driver_sql("VACUUM ANALYZE")


async def measure(url: str, runs: int) -> list[float]:
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    async with open_app(settings, clock=SystemClock()) as app:
        alerts = Alerts(app.sessions, app.clock, Rules(), "bench:1")
        queued = await alerts.check()  # the three feeds' starts; the rest is quiet
        assert queued == 3, queued
        times = []
        for _ in range(runs):
            began = time.perf_counter()
            await alerts.check()
            times.append(time.perf_counter() - began)
        return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chats", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--postgres", default=os.environ.get("NEWSBOT_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    print("| store | deliveries | chats | check p50 | check p95 | check max |")
    print("|---|---|---|---|---|---|")
    for store in stores_to_run(parser, args.only, args.postgres):
        with fresh_store(store, args.postgres, "newsbot_alerts") as url:
            event_loop.run(fill(url, args.rows, args.chats))
            times = sorted(event_loop.run(measure(url, args.runs)))
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(
            f"| {store} | {args.rows:,} | {args.chats:,} | "
            f"{statistics.median(times) * 1000:.0f} ms | {p95 * 1000:.0f} ms | "
            f"{times[-1] * 1000:.0f} ms |"
        )


if __name__ == "__main__":
    main()
