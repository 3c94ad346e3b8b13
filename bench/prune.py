"""How fast the leader forgets settled deliveries.

    python -m bench.prune [--rows 1000000] [--postgres URL]

Fills a fresh store with ``--rows`` sent deliveries written 40 days ago and a tenth as many
written today (one article, one chat, a revision each, so they are unique), then times
``prune_settled`` with the default 30-day retention: rows deleted per second, and how long
one chunk's transaction takes at most, which is how long a claim or settle may wait behind
it on SQLite.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, text

from bench.stores import fresh_store
from newsbot import event_loop
from newsbot.app import open_app
from newsbot.clock import SystemClock
from newsbot.config import Settings
from newsbot.delivery.retention import prune_settled
from newsbot.store import migrate

FILL = """
INSERT INTO deliveries (article_id, chat_id, kind, revision, priority, state, due_at,
                        attempts, created_at, sent_at, platform_message_id)
SELECT 1, 1, 'headline', n, 2, 'sent', :at, 1, :at, :at, CAST(n AS TEXT)
FROM ({numbers}) AS numbers
"""
SQLITE_NUMBERS = (
    "WITH RECURSIVE s(n) AS (SELECT :first UNION ALL SELECT n + 1 FROM s WHERE n < :last) "
    "SELECT n FROM s"
)
PG_NUMBERS = "SELECT generate_series(CAST(:first AS INTEGER), CAST(:last AS INTEGER)) AS n"


async def run(url: str, rows: int) -> dict[str, float]:
    migrate.upgrade(url)
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    now = datetime.now(UTC)
    async with open_app(settings, clock=SystemClock()) as app:
        postgres = app.engine.dialect.name == "postgresql"
        old, recent = now - timedelta(days=40), now
        at = old if postgres else old.replace(tzinfo=None)
        async with app.sessions() as session:
            await session.execute(
                text(
                    "INSERT INTO chats (platform, platform_chat_id, kind, language, timezone, "
                    "active, link_previews, created_at, updated_at) VALUES ('bench', '1', "
                    "'private', 'ko', 'Asia/Seoul', TRUE, TRUE, :at, :at)"
                ),
                {"at": at},
            )
            await session.execute(
                text(
                    "INSERT INTO articles (source, url, title, lead, body, published_at, "
                    "date_source, is_breaking, ingested_at, changed_at, revision) VALUES "
                    "('bench', 'https://b.kr/1', '보존', '', '', :at, 'feed', FALSE, :at, :at, 0)"
                ),
                {"at": at},
            )
            numbers = PG_NUMBERS if postgres else SQLITE_NUMBERS
            for first, last, when in ((1, rows, old), (rows + 1, rows + rows // 10, recent)):
                stamp = when if postgres else when.replace(tzinfo=None)
                await session.execute(
                    text(FILL.format(numbers=numbers)),
                    {"first": first, "last": last, "at": stamp},
                )
            await session.commit()
        if postgres:
            async with app.engine.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.exec_driver_sql("VACUUM ANALYZE deliveries")

        longest = 0.0
        began: dict[int, float] = {}

        def opened(connection: object) -> None:
            began[id(connection)] = time.perf_counter()

        def closed(connection: object) -> None:
            nonlocal longest
            if (start := began.pop(id(connection), None)) is not None:
                longest = max(longest, time.perf_counter() - start)

        event.listen(app.engine.sync_engine, "begin", opened)
        event.listen(app.engine.sync_engine, "commit", closed)
        event.listen(app.engine.sync_engine, "rollback", closed)
        t0 = time.perf_counter()
        deleted = await prune_settled(app.sessions, before=now - timedelta(days=30))
        elapsed = time.perf_counter() - t0
    assert deleted == rows, (deleted, rows)
    return {"deleted": deleted, "seconds": elapsed, "longest_transaction": longest}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", default=os.environ.get("NEWSBOT_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    print("| store | old rows deleted | kept | seconds | rows/s | longest transaction |")
    print("|---|---|---|---|---|---|")
    for store in ["sqlite"] + (["postgresql"] if args.postgres else []):
        with fresh_store(store, args.postgres, "newsbot_prune") as url:
            f = event_loop.run(run(url, args.rows))
        print(
            f"| {store} | {f['deleted']:,.0f} | {args.rows // 10:,} | {f['seconds']:.1f} | "
            f"{f['deleted'] / f['seconds']:,.0f} | {f['longest_transaction'] * 1000:.0f} ms |"
        )


if __name__ == "__main__":
    main()
