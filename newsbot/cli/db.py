"""`newsbot db`: the store's schema, forgetting old deliveries, backups of the embedded store."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from pathlib import Path

import click

from newsbot import event_loop
from newsbot.app import App, index_missing, open_app
from newsbot.cli.root import run_with_app, settings_of
from newsbot.delivery.retention import MIN_DAYS, prune_settled
from newsbot.errors import StoreError
from newsbot.leadership import sqlite_single_process
from newsbot.store import backup as backups
from newsbot.store import migrate


@click.group()
def db() -> None:
    """The store: create or upgrade its schema, forget old deliveries."""


@db.command()
@click.pass_context
def upgrade(ctx: click.Context) -> None:
    """Bring the schema to the newest revision (safe to run again)."""
    settings = settings_of(ctx)
    before = migrate.current_revision(settings.database_url)
    migrate.upgrade(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    after = migrate.current_revision(settings.database_url)
    if before == after:
        click.echo(f"schema already at revision {after}")
    else:
        click.echo(f"schema upgraded from {before or 'empty'} to {after}")

    async def fill_index() -> int:
        async with open_app(settings) as app:
            return await index_missing(app)

    indexed = event_loop.run(fill_index())
    if indexed:
        click.echo(f"indexed {indexed} articles for search")


@db.command()
@click.pass_context
def current(ctx: click.Context) -> None:
    """Show the schema revision of the store and the newest one this version knows."""
    settings = settings_of(ctx)
    click.echo(
        f"store: {migrate.current_revision(settings.database_url) or 'empty'}; "
        f"newest: {migrate.head_revision()}"
    )


@db.command()
@click.option(
    "--days",
    type=click.IntRange(min=MIN_DAYS),
    default=None,
    help="Keep this many days (default: NEWSBOT_DELIVERY_RETENTION_DAYS).",
)
@click.pass_context
def prune(ctx: click.Context, days: int | None) -> None:
    """Delete sent, failed and dropped deliveries older than the retention period.

    `newsbot run` does this every hour; pending and held deliveries are never deleted.
    """
    keep = days if days is not None else settings_of(ctx).delivery_retention_days
    if not keep:
        click.echo("retention is off (NEWSBOT_DELIVERY_RETENTION_DAYS=0): nothing deleted")
        return

    async def work(app: App) -> int:
        return await prune_settled(app.sessions, before=app.clock.now() - timedelta(days=keep))

    deleted = run_with_app(ctx, work)
    click.echo(f"deleted {deleted:,} settled deliveries older than {keep} days")


@db.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def backup(ctx: click.Context, path: Path) -> None:
    """Copy the embedded store to PATH, consistently, even while the bot runs on it."""
    settings = settings_of(ctx)
    copied = backups.backup(
        settings.database_url, path, busy_timeout_ms=settings.sqlite_busy_timeout_ms
    )
    click.echo(
        f"backed up to {copied.path} ({copied.bytes:,} bytes, schema {copied.revision or '-'})"
    )


@db.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def restore(ctx: click.Context, path: Path) -> None:
    """Replace the embedded store with the backup at PATH. Refused while a bot runs on it."""
    settings = settings_of(ctx)
    backups.store_path(settings.database_url)  # PostgreSQL: say so before anything else
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(sqlite_single_process(settings.database_url))
        except StoreError:
            raise StoreError(
                "a newsbot process is running on this store: stop it before restoring"
            ) from None
        copied = backups.restore(
            path, settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms
        )
    click.echo(f"restored {copied.path} from {path} (schema {copied.revision})")
