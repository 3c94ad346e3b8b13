"""`newsbot feeds`: the feeds the poller reads."""

from __future__ import annotations

import click

from newsbot.app import App
from newsbot.cli.output import console, iso, print_json
from newsbot.cli.root import run_with_app, settings_of
from newsbot.errors import InputError
from newsbot.ingest.urls import site_of
from newsbot.store import feeds as feed_store


@click.group()
def feeds() -> None:
    """Add, list and remove RSS/Atom feeds."""


@feeds.command("add")
@click.argument("url")
@click.option("--section", default=None, help="Section given to every article of this feed.")
@click.option(
    "--interval",
    type=click.IntRange(min=10),
    default=None,
    metavar="SECONDS",
    help="Seconds between polls (default NEWSBOT_FEED_DEFAULT_INTERVAL).",
)
@click.pass_context
def add(ctx: click.Context, url: str, section: str | None, interval: int | None) -> None:
    """Start polling the feed at URL."""
    if not url.startswith(("http://", "https://")) or not site_of(url):
        raise InputError(f"not an http(s) feed URL: {url!r}")
    every = interval or settings_of(ctx).feed_default_interval

    async def work(app: App) -> int:
        async with app.sessions() as session:
            feed = await feed_store.add_feed(
                session, url, section=section, interval=every, now=app.clock.now()
            )
            await session.commit()
            return feed.id

    feed_id = run_with_app(ctx, work)
    click.echo(
        f"added feed {feed_id}: {url} (every {every}s"
        + (f", section {section})" if section else ")")
    )


@feeds.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """Show every feed with its state, last error and next check."""
    zone = settings_of(ctx).zone

    async def work(app: App) -> list[dict[str, object]]:
        async with app.sessions() as session:
            return [
                {
                    "id": f.id,
                    "url": f.url,
                    "section": f.section,
                    "interval": f.interval_seconds,
                    "state": f.state.value,
                    "errors": f.error_count,
                    "last_error": f.last_error,
                    "last_status": f.last_status,
                    "last_checked_at": iso(f.last_checked_at, zone),
                    "next_check_at": iso(f.next_check_at, zone),
                    "title": f.title,
                }
                for f in await feed_store.list_feeds(session)
            ]

    rows = run_with_app(ctx, work)
    if as_json:
        print_json(rows)
        return
    if not rows:
        click.echo("no feeds yet: add one with `newsbot feeds add URL`")
        return
    from rich.table import Table

    table = Table(title_justify="left")
    for column in ("id", "url", "section", "every", "state", "next check", "last error"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row["id"]),
            str(row["url"]),
            str(row["section"] or "-"),
            f"{row['interval']}s",
            f"{row['state']} ({row['errors']} errors)" if row["errors"] else str(row["state"]),
            str(row["next_check_at"] or "now"),
            str(row["last_error"] or ""),
        )
    console().print(table)


@feeds.command("remove")
@click.argument("feed_id", type=int, metavar="ID")
@click.pass_context
def remove(ctx: click.Context, feed_id: int) -> None:
    """Stop polling a feed (its articles stay in the store)."""

    async def work(app: App) -> str:
        async with app.sessions() as session:
            feed = await feed_store.remove_feed(session, feed_id)
            await session.commit()
            return feed.url

    url = run_with_app(ctx, work)
    click.echo(f"removed feed {feed_id}: {url}")
