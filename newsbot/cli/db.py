"""`newsbot db`: the store's schema."""

from __future__ import annotations

import click

from newsbot import event_loop
from newsbot.app import index_missing, open_app
from newsbot.cli.root import settings_of
from newsbot.store import migrate


@click.group()
def db() -> None:
    """Create or upgrade the article store's schema."""


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
