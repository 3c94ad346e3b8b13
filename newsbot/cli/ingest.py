"""`newsbot import`, `newsbot views import` and `newsbot poll`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path

import click
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

from newsbot.app import App
from newsbot.cli.output import is_terminal, print_problems
from newsbot.cli.root import run_with_app, settings_of
from newsbot.ingest.fetch import make_client
from newsbot.ingest.importer import Format, ImportReport, import_articles
from newsbot.ingest.poller import FeedResult, PollSettings, poll_due_feeds
from newsbot.ingest.view_counts import import_views
from newsbot.store.articles import Outcome

_PATH = click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)


@contextlib.contextmanager
def _progress_bar(size: int) -> Iterator[Progress | None]:
    """A byte progress bar for big files on a terminal; nothing when piped."""
    if not is_terminal() or size < 1_000_000:
        yield None
        return
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        transient=True,
    ) as bar:
        yield bar


def describe(report: ImportReport) -> str:
    counts = report.counts
    corrections = counts[Outcome.CORRECTED]
    return (
        f"new {counts[Outcome.NEW]}, updated {report.updated}"
        + (f" ({corrections} corrections)" if corrections else "")
        + f", unchanged {counts[Outcome.UNCHANGED]}, rejected {len(report.problems)}"
    )


@click.command("import")
@click.argument("path", type=_PATH)
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in Format]),
    default="auto",
    show_default=True,
    help="File format; auto looks at the name and content.",
)
@click.pass_context
def import_command(ctx: click.Context, path: Path, fmt: str) -> None:
    """Import articles from an RSS/Atom file or a CMS export (NDJSON or JSON)."""
    zone = settings_of(ctx).zone
    size = path.stat().st_size

    async def work(app: App) -> ImportReport:
        with _progress_bar(size) as bar:
            task = bar.add_task(path.name, total=size) if bar else None

            def advance(done: int) -> None:
                if bar is not None and task is not None:
                    bar.update(task, completed=done)

            return await import_articles(
                app.sessions, path, fmt=Format(fmt), zone=zone, clock=app.clock, progress=advance
            )

    report = run_with_app(ctx, work)
    click.echo(f"{path.name}: {describe(report)}")
    for note in report.notes:
        click.echo(f"  note: {note}")
    print_problems(report.problems)


@click.group()
def views() -> None:
    """Daily view counts behind "most viewed"."""


@views.command("import")
@click.argument("path", type=_PATH)
@click.pass_context
def views_import(ctx: click.Context, path: Path) -> None:
    """Import view counts: CSV (url or guid, date, views) or NDJSON with the same keys.

    A count for a day that is already stored replaces it, so re-importing is safe.
    """

    async def work(app: App) -> tuple[int, list[object]]:
        report = await import_views(app.sessions, path)
        return report.stored, list(report.problems)

    stored, problems = run_with_app(ctx, work)
    click.echo(f"{path.name}: stored {stored} daily counts, rejected {len(problems)}")
    print_problems(problems)  # type: ignore[arg-type]


def _print_result(result: FeedResult) -> None:
    if result.status == "failed":
        click.echo(
            f"feed {result.feed_id} {result.url}: failed: {result.error}"
            + (f" (next try {result.retry_at:%H:%M:%S} UTC)" if result.retry_at else "")
        )
        return
    if result.status == "not modified":
        click.echo(f"feed {result.feed_id} {result.url}: not modified")
        return
    counts = result.counts
    click.echo(
        f"feed {result.feed_id} {result.url}: new {counts[Outcome.NEW]}, "
        f"updated {counts[Outcome.UPDATED] + counts[Outcome.CORRECTED]}, "
        f"unchanged {counts[Outcome.UNCHANGED]}, rejected {len(result.problems)}"
    )
    for note in result.notes:
        click.echo(f"  note: {note}")
    print_problems(result.problems)


@click.command()
@click.option("--once", is_flag=True, help="Fetch the feeds that are due now, then exit.")
@click.pass_context
def poll(ctx: click.Context, once: bool) -> None:
    """Fetch due feeds and store their new and corrected articles.

    Without --once, keeps polling (checking for due feeds every second) until interrupted.
    """
    settings = settings_of(ctx)
    poll_settings = PollSettings.of(settings)

    async def work(app: App) -> int:
        async with make_client(
            timeout=settings.http_timeout, user_agent=settings.http_user_agent
        ) as client:
            while True:
                results = await poll_due_feeds(app.sessions, client, app.clock, poll_settings)
                for result in results:
                    _print_result(result)
                if once:
                    if not results:
                        click.echo("no feeds are due")
                    return sum(r.status == "failed" for r in results)
                await asyncio.sleep(1.0)

    failed = run_with_app(ctx, work)
    if failed:
        ctx.exit(1)
