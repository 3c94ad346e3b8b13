"""`newsbot run` and `newsbot worker`: the bot itself."""

from __future__ import annotations

import asyncio
import signal

import click

from newsbot.app import App
from newsbot.bot import build_bot
from newsbot.cli.root import run_with_app, settings_of
from newsbot.errors import StoreError
from newsbot.leadership import sqlite_single_process
from newsbot.service import Service
from newsbot.store.engine import backend_name


async def _until_stopped(service: Service, *, lead: bool) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, service.stop.set)
    await service.run(lead=lead)


@click.command("run")
@click.option(
    "--once",
    is_flag=True,
    help="Match and send everything queued now, then exit (for cron and tests).",
)
@click.pass_context
def run_command(ctx: click.Context, once: bool) -> None:
    """Run the bot: poll feeds, match articles to subscribers, deliver.

    Stops cleanly on Ctrl-C or SIGTERM, letting the batch in flight settle.
    """
    settings = settings_of(ctx)

    async def work(app: App) -> str:
        service = build_bot(app, readers=not once).service
        if once:
            written = await service.match_all()
            report = await service.dispatch_all()
            return (
                f"matched {written} deliveries; sent {report.sent}, retried "
                f"{report.retried}, failed {report.failed}, deferred {report.deferred}, "
                f"stale {report.stale}"
            )
        await _until_stopped(service, lead=True)
        return "stopped"

    if backend_name(settings.database_url) == "sqlite":
        with sqlite_single_process(settings.database_url):
            click.echo(run_with_app(ctx, work))
    else:
        click.echo(run_with_app(ctx, work))


@click.command("worker")
@click.pass_context
def worker_command(ctx: click.Context) -> None:
    """Deliver only: more sending capacity beside `newsbot run` (PostgreSQL only)."""
    settings = settings_of(ctx)
    if backend_name(settings.database_url) != "postgresql":
        raise StoreError("workers share a PostgreSQL store; SQLite runs one `newsbot run` only")

    async def work(app: App) -> None:
        await _until_stopped(build_bot(app, readers=False).service, lead=False)

    run_with_app(ctx, work)
