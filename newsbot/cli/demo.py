"""`newsbot demo`: the first five minutes, on the embedded store with the bundled samples."""

from __future__ import annotations

import sys
from datetime import timedelta
from importlib.resources import as_file, files
from pathlib import Path

import click

from newsbot.app import App
from newsbot.cli.ingest import describe
from newsbot.cli.live_demo import live
from newsbot.cli.output import articles_table, console
from newsbot.cli.root import run_with_app, settings_of
from newsbot.config import mask_url
from newsbot.ingest.importer import Format, import_articles
from newsbot.ingest.view_counts import import_views
from newsbot.ranking import latest_articles, latest_view_day, most_viewed
from newsbot.search.engine import search
from newsbot.text.analyzer import default_analyzer

# Particles and compounds: 성남시는 finds 성남시, 드론 finds 드론전문의용소방대.
DEMO_QUERIES = ("성남시는", "드론")


def samples_dir() -> Path:
    with as_file(files("newsbot") / "data" / "samples") as path:
        return Path(path)


@click.command()
@click.option(
    "--limit",
    type=click.IntRange(1, 50),
    default=7,
    show_default=True,
    help="Headlines to show in each list (the seed's box shows 7).",
)
@click.option(
    "--script/--live",
    default=None,
    help="Play a short scripted conversation and exit (the default when stdin is not a "
    "terminal), or talk to the bot yourself.",
)
@click.pass_context
def demo(ctx: click.Context, limit: int, script: bool | None) -> None:
    """Import the bundled samples, show the latest and most viewed, then run the bot live
    with this terminal as a chat (the console platform).

    Safe to run again: the second run finds every article unchanged.
    """
    scripted = script if script is not None else not sys.stdin.isatty()
    zone = settings_of(ctx).zone
    samples = samples_dir()
    out = console()

    async def work(app: App) -> None:
        for name, fmt in (("articles.ndjson", Format.NDJSON), ("feed.xml", Format.RSS)):
            report = await import_articles(
                app.sessions, samples / name, fmt=fmt, zone=zone, clock=app.clock
            )
            out.print(f"imported {name}: {describe(report)}")
        views = await import_views(app.sessions, samples / "views.csv")
        out.print(f"imported views.csv: {views.stored} daily counts")
        async with app.sessions() as session:
            latest = await latest_articles(session, limit=limit)
            out.print()
            out.print(articles_table("최신 뉴스 (latest)", latest, zone))
            last_day = await latest_view_day(session)
            if last_day is not None:
                first_day = last_day - timedelta(days=6)
                ranked = await most_viewed(
                    session, first_day=first_day, last_day=last_day, limit=limit
                )
                out.print()
                out.print(
                    articles_table(
                        f"가장 많이 본 뉴스 (most viewed {first_day} – {last_day})",
                        [r.article for r in ranked],
                        zone,
                        views=[r.views for r in ranked],
                    )
                )
            for query in DEMO_QUERIES:
                found = await search(
                    session, default_analyzer(), query, now=app.clock.now(), limit=3
                )
                out.print()
                out.print(
                    articles_table(
                        f"search '{query}': {found.total} found",
                        [hit.article for hit in found.hits],
                        zone,
                    )
                )

        out.print()
        await live(app, samples, script=scripted)

    run_with_app(ctx, work)
    click.echo(f"\nstore: {mask_url(settings_of(ctx).database_url)}")
