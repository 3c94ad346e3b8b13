"""`newsbot articles`: what is in the store."""

from __future__ import annotations

import click

from newsbot.app import App
from newsbot.cli.output import article_json, articles_table, console, print_json
from newsbot.cli.root import run_with_app, settings_of
from newsbot.ranking import latest_articles
from newsbot.store.models import Article


@click.group()
def articles() -> None:
    """Look at stored articles."""


@articles.command("list")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("--section", default=None, help="Only this section (e.g. 행정).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.pass_context
def list_(ctx: click.Context, limit: int, section: str | None, as_json: bool) -> None:
    """The newest articles first."""
    zone = settings_of(ctx).zone

    async def work(app: App) -> list[Article]:
        async with app.sessions() as session:
            return await latest_articles(session, limit=limit, section=section)

    found = run_with_app(ctx, work)
    if as_json:
        print_json([article_json(a, zone) for a in found])
    elif not found:
        click.echo("no articles" + (f" in section {section}" if section else "") + " yet")
    else:
        console().print(articles_table("Latest", found, zone))
