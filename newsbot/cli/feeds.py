"""`newsbot feeds`: the feeds the poller reads."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import click

from newsbot.app import App
from newsbot.cli.output import console, iso, print_json, print_problems
from newsbot.cli.root import run_with_app, settings_of
from newsbot.errors import InputError
from newsbot.ingest import feed_list
from newsbot.ingest.feed_list import FeedsImported, import_feeds, stored_feeds
from newsbot.ingest.opml import (
    MAX_INTERVAL,
    MAX_URL,
    MIN_INTERVAL,
    OpmlError,
    read_opml,
    write_opml,
)
from newsbot.ingest.urls import site_of
from newsbot.store import feeds as feed_store


@click.group()
def feeds() -> None:
    """Add, list and remove RSS/Atom feeds; import and export them as OPML."""


@feeds.command("add")
@click.argument("url")
@click.option("--section", default=None, help="Section given to every article of this feed.")
@click.option(
    "--interval",
    type=click.IntRange(min=MIN_INTERVAL, max=MAX_INTERVAL),
    default=None,
    metavar="SECONDS",
    help="Seconds between polls (default NEWSBOT_FEED_DEFAULT_INTERVAL).",
)
@click.pass_context
def add(ctx: click.Context, url: str, section: str | None, interval: int | None) -> None:
    """Start polling the feed at URL."""
    if not url.lower().startswith(("http://", "https://")) or not site_of(url):
        raise InputError(f"not an http(s) feed URL: {url!r}")
    if len(url) > MAX_URL:
        raise InputError(f"the feed URL is longer than {MAX_URL} characters")
    every = interval or settings_of(ctx).feed_default_interval

    async def work(app: App) -> int:
        async with app.sessions() as session:
            feed_id = await feed_list.add_feed(
                session, url, section=section, interval=every, now=app.clock.now()
            )
            await session.commit()
            return feed_id

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


@feeds.command("export")
@click.argument(
    "output",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    default="-",
    metavar="[FILE|-]",
)
@click.pass_context
def export(ctx: click.Context, output: Path) -> None:
    """Write every feed as OPML 2.0 (to standard output without FILE).

    Each feed is an outline with its URL, title, section as category and poll interval
    (newsbot:interval), which `newsbot feeds import` reads back.
    """

    async def work(app: App) -> tuple[int, bytes]:
        async with app.sessions() as session:
            listed = await stored_feeds(session)
        return len(listed), write_opml(listed, title="newsbot feeds", created=app.clock.now())

    count, document = run_with_app(ctx, work)
    if str(output) == "-":
        click.echo(document, nl=False)
        return
    partial = output.with_name(f".{output.name}.partial")
    partial.write_bytes(document)
    partial.replace(output)  # a reader of FILE never sees half a document
    click.echo(f"exported {count} feeds to {output}")


@feeds.command("import")
@click.argument("source", type=click.File("rb"), metavar="FILE")
@click.option(
    "--new-sections",
    is_flag=True,
    help="Categories this store has no section for yet become new sections "
    "(without it such a file is refused).",
)
@click.pass_context
def import_(ctx: click.Context, source: BinaryIO, new_sections: bool) -> None:
    """Add the feeds of an OPML 1.0 or 2.0 file (- reads standard input).

    A feed's category (or the folder outline it is in) is its section. Feeds already here
    (same URL) are skipped. All or nothing: a malformed file, an outline without xmlUrl or a
    URL that is not http(s) stores nothing and says why.
    """
    name = getattr(source, "name", "FILE")
    try:
        listed = read_opml(source.read())
    except OpmlError as exc:
        if len(exc.problems) > 1:
            print_problems(exc.problems)
        raise InputError(f"{name}: {exc}; nothing imported") from None
    every = settings_of(ctx).feed_default_interval

    async def work(app: App) -> FeedsImported:
        async with app.sessions() as session:
            result = await import_feeds(
                session,
                listed,
                default_interval=every,
                now=app.clock.now(),
                allow_new_sections=new_sections,
            )
            await session.commit()
            return result

    try:
        result = run_with_app(ctx, work)
    except InputError as exc:
        raise InputError(f"{name}: {exc}; nothing imported") from None
    for feed_id, feed in result.added:
        section = f", section {feed.category}" if feed.category else ""
        click.echo(f"added feed {feed_id}: {feed.url} (every {feed.interval or every}s{section})")
    for feed_id, feed in result.present:
        click.echo(f"already here as feed {feed_id}: {feed.url}")
    click.echo(
        f"{Path(name).name}: added {len(result.added)}, already here {len(result.present)}"
        + (f", listed twice {len(result.repeated)}" if result.repeated else "")
        + (f"; new sections: {', '.join(result.new_sections)}" if result.new_sections else "")
    )
