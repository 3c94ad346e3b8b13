"""Reproducible daily view counts for the benchmark store: a few hits, a long tail.

    python -m bench.views_gen URL [--rows N]

Every stored article gets a popularity drawn from a Pareto distribution (most articles are
barely read, a head of stories is read a lot). Its view rows run day by day from its
publication day (in the newsroom's zone), as many days as its popularity earns, inside the 90
days before 2026-11-23; daily views decay with age. The plan is scaled so that the store gets
exactly ``rows`` rows (fewer only when the articles cannot hold that many days).

Same seed and same articles (bench/corpus.py), same rows. They are written in batches: COPY on
PostgreSQL, executemany through SQLAlchemy Core on SQLite; never one ORM object per row.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, insert, select, update

from newsbot.store.engine import make_sync_engine
from newsbot.store.models import Article, ArticleView, ViewState

SEED = 20261123
ROWS = 1_000_000
LAST_DAY = date(2026, 11, 23)
WINDOW_DAYS = 90
FIRST_DAY = LAST_DAY - timedelta(days=WINDOW_DAYS)
PARETO_ALPHA = 1.16  # the "80/20" shape: a fifth of the articles get most of the views
BATCH_ROWS = 20_000

ViewRow = tuple[int, date, int]  # article_id, day, views


@dataclass(frozen=True, slots=True)
class Published:
    article_id: int
    day: date  # publication day in the newsroom's zone


@dataclass(frozen=True, slots=True)
class ViewsFigures:
    rows: int
    articles_with_views: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def _capacity(article: Published) -> int:
    """Days this article can have views on: publication day (or the window's start) to the end."""
    start = max(article.day, FIRST_DAY)
    return max(0, (LAST_DAY - start).days + 1)


def _days_per_article(weights: Sequence[float], caps: Sequence[int], rows: int) -> list[int]:
    """Days of views per article, proportional to weight, capped, summing to `rows` exactly."""
    if sum(caps) <= rows:
        return list(caps)

    def planned(scale: float) -> list[int]:
        return [
            min(cap, 1 + int(scale * w)) if cap else 0 for w, cap in zip(weights, caps, strict=True)
        ]

    low, high = 0.0, 1.0
    while sum(planned(high)) < rows:
        high *= 2
    for _ in range(40):  # bisect the scale: sum(planned(low)) <= rows < sum(planned(high))
        middle = (low + high) / 2
        if sum(planned(middle)) <= rows:
            low = middle
        else:
            high = middle
    days = planned(low)
    short = rows - sum(days)
    if short < 0:  # even one day each is too many: keep the most popular articles' days
        order = sorted(range(len(days)), key=lambda i: weights[i])
        for i in order[:-short]:
            days[i] -= 1
        return days
    # The remainder (rounding) goes to the most popular articles that still have room.
    for i in sorted(range(len(days)), key=lambda i: weights[i], reverse=True):
        if short == 0:
            break
        if days[i] < caps[i]:
            days[i] += 1
            short -= 1
    return days


def view_rows(
    articles: Sequence[Published], *, rows: int = ROWS, seed: int = SEED
) -> Iterator[ViewRow]:
    """The rows, article by article, day by day; (article_id, day) never repeats."""
    rng = random.Random(seed)
    weights = [rng.paretovariate(PARETO_ALPHA) for _ in articles]
    caps = [_capacity(a) for a in articles]
    plan = _days_per_article(weights, caps, rows)
    for article, weight, days in zip(articles, weights, plan, strict=True):
        start = max(article.day, FIRST_DAY)
        peak = 20.0 * weight  # views on the first day, before noise
        decay = rng.uniform(0.55, 0.9)  # how fast readers lose interest
        for age in range(days):
            views = peak * decay**age * rng.lognormvariate(0.0, 0.5)
            yield article.article_id, start + timedelta(days=age), max(1, round(views))


def published_articles(connection: Connection, zone: ZoneInfo) -> list[Published]:
    query = select(Article.id, Article.published_at).order_by(Article.id)
    return [
        Published(int(ident), published.astimezone(zone).date())
        for ident, published in connection.execute(query)
    ]


def _batches(rows: Iterator[ViewRow], size: int) -> Iterator[list[ViewRow]]:
    while batch := list(islice(rows, size)):
        yield batch


def _copy_postgres(connection: Connection, batch: list[ViewRow]) -> None:
    driver: Any = connection.connection.driver_connection  # a psycopg.Connection
    with (
        driver.cursor() as cursor,
        cursor.copy("COPY article_views (article_id, day, views) FROM STDIN") as copy,
    ):
        for row in batch:
            copy.write_row(row)


def insert_views(
    url: str, *, zone: ZoneInfo, rows: int = ROWS, seed: int = SEED, analyze: bool = True
) -> ViewsFigures:
    """Generate and insert the view rows into the (migrated, filled) store at `url`.

    `analyze` runs ANALYZE afterwards on PostgreSQL, which autovacuum would do on its own a
    little later; measuring before it ran would measure a race. SQLite is left as newsbot
    leaves it (newsbot never runs ANALYZE there).
    """
    engine = make_sync_engine(url)
    try:
        with engine.connect() as connection:
            articles = published_articles(connection, zone)
        started = time.perf_counter()
        stored = 0
        with engine.begin() as connection:
            postgres = connection.dialect.name == "postgresql"
            statement = insert(ArticleView.__table__)  # type: ignore[arg-type]
            for batch in _batches(view_rows(articles, rows=rows, seed=seed), BATCH_ROWS):
                if postgres:
                    _copy_postgres(connection, batch)
                else:
                    connection.execute(
                        statement, [{"article_id": a, "day": d, "views": v} for a, d, v in batch]
                    )
                stored += len(batch)
            # As newsbot's own import does: cached window totals are stale now.
            connection.execute(
                update(ViewState)
                .where(ViewState.id == 1)
                .values(generation=ViewState.generation + 1)
            )
        if analyze and engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE article_views")
                connection.commit()
        seconds = time.perf_counter() - started
        with engine.connect() as connection:
            query = select(ArticleView.article_id).distinct().subquery()
            having = int(connection.scalar(select(func.count()).select_from(query)) or 0)
    finally:
        engine.dispose()
    return ViewsFigures(stored, having, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="database URL of a migrated store with articles")
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--zone", default="Asia/Seoul")
    args = parser.parse_args()
    figures = insert_views(args.url, zone=ZoneInfo(args.zone), rows=args.rows, seed=args.seed)
    print(
        f"{figures.rows:,} view rows for {figures.articles_with_views:,} articles "
        f"in {figures.seconds:.1f} s ({figures.rows_per_second:,.0f} rows/s)"
    )


if __name__ == "__main__":
    main()
