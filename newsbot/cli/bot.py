"""`newsbot run` and `newsbot worker`: the bot itself."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator

import click

from newsbot.app import App
from newsbot.bot import ConsoleChat, build_bot
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


async def stdin_lines() -> AsyncIterator[str]:
    """Lines typed into the terminal, read without a thread (so Ctrl-C never waits on one)."""
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str] = asyncio.Queue()
    loop.add_reader(sys.stdin.fileno(), lambda: lines.put_nowait(sys.stdin.readline()))
    try:
        while line := await lines.get():
            yield line
    finally:
        loop.remove_reader(sys.stdin.fileno())


@click.command("run")
@click.option(
    "--once",
    is_flag=True,
    help="Match and send everything queued now, then exit (for cron and tests).",
)
@click.option(
    "--console",
    "console_user",
    metavar="USER",
    default=None,
    help="The terminal is a chat too, as console user USER: readers' commands, and an "
    "editor's (/breaking …) once `newsbot editors add console:USER`.",
)
@click.pass_context
def run_command(ctx: click.Context, once: bool, console_user: str | None) -> None:
    """Run the bot: poll feeds, match articles to subscribers, deliver.

    Stops cleanly on Ctrl-C or SIGTERM, letting the batch in flight settle.
    """
    settings = settings_of(ctx)

    async def work(app: App) -> str:
        chat = None
        if console_user and not once:
            chat = ConsoleChat(lines=stdin_lines(), out=sys.stdout, user_id=console_user)
        service = build_bot(app, readers=not once, console=chat).service
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
