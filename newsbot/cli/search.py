"""`newsbot search` and `newsbot top`: what readers will ask the bot, from the terminal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from newsbot.app import App
from newsbot.cli.output import article_json, articles_table, console, is_terminal, print_json
from newsbot.cli.root import run_with_app, settings_of
from newsbot.cli.search_aliases import aliases_group
from newsbot.ranking import Window, top_articles
from newsbot.search.engine import SearchResult, search
from newsbot.search.suggest import Suggestion, suggest
from newsbot.store.search_index import reindex
from newsbot.text.analyzer import default_analyzer


class _QueryOrCommand(click.Group):
    """`newsbot search 성남시 드론` searches; `newsbot search reindex` rebuilds the index."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = ["query", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_QueryOrCommand)
def search_group() -> None:
    """Search articles, Korean-aware: `newsbot search 성남시는` finds 성남시.

    \b
    newsbot search QUERY... [--limit N] [--section S] [--json]
    newsbot search --queries FILE [--limit N]   one JSON line per query
    newsbot search reindex                      rebuild the index
    newsbot search aliases add|remove|list|import   words that find each other

    \b
    Query syntax:
      성남시 드론        articles with every word (particles do not matter)
      "성남시 드론"      the words side by side
      -축제              without this word
      section:행정       only this section (also 섹션:행정)
      기간:7일           published in the last 7 days (기간:1개월, since:2026-11-01)
      최신순             newest first (sort:newest)
    """


search_group.add_command(aliases_group)


def _result_json(result: SearchResult, app: App) -> list[dict[str, Any]]:
    zone = app.settings.zone
    return [
        article_json(
            hit.article,
            zone,
            score=hit.score,
            snippet=hit.snippet.text,
            highlights=[list(mark) for mark in hit.snippet.marks],
        )
        for hit in result.hits
    ]


@search_group.command("query", hidden=True)
@click.argument("words", nargs=-1)
@click.option("--limit", type=click.IntRange(1, 200), default=10, show_default=True)
@click.option("--section", default=None, help="Only this section.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option(
    "--queries",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Run one query per line of FILE; print one JSON line per query.",
)
@click.pass_context
def query_command(
    ctx: click.Context,
    words: tuple[str, ...],
    limit: int,
    section: str | None,
    as_json: bool,
    queries: Path | None,
) -> None:
    text = " ".join(words)
    if not text.strip() and queries is None:
        raise click.UsageError("give a query, e.g. newsbot search 성남시 드론", ctx=ctx.parent)
    analyzer = default_analyzer()

    async def one(app: App, query: str) -> SearchResult:
        async with app.sessions() as session:
            return await search(
                session,
                analyzer,
                query,
                now=app.clock.now(),
                limit=limit,
                section=section,
                zone=app.settings.zone,
            )

    if queries is not None:
        lines = [line.strip() for line in queries.read_text(encoding="utf-8").splitlines()]

        async def batch(app: App) -> None:
            for line in lines:
                if line:
                    result = await one(app, line)
                    record = {
                        "query": line,
                        "mode": result.mode.value,
                        "results": _result_json(result, app),
                    }
                    click.echo(json.dumps(record, ensure_ascii=False))

        run_with_app(ctx, batch)
        return

    async def single(app: App) -> tuple[SearchResult, list[dict[str, Any]], list[Suggestion]]:
        result = await one(app, text)
        async with app.sessions() as session:
            offered = await suggest(
                session, analyzer, text, result, now=app.clock.now(), zone=app.settings.zone
            )
        return result, _result_json(result, app), offered

    result, rows, offered = run_with_app(ctx, single)
    if result.query.bad_filter:
        raise click.UsageError(
            f"{result.query.bad_filter!r} is not a period or an order "
            "(e.g. 기간:7일, 기간:1개월, since:2026-11-01, 최신순)",
            ctx=ctx.parent,
        )
    if as_json:
        print_json(rows)
        return
    if offered:  # a hint, on stderr: what a script reads from stdout stays the results
        hint = ", ".join(f"{s.text} ({s.found} found)" for s in offered)
        click.echo(f"did you mean: {hint}", err=True)
    if not result.hits:
        click.echo("nothing found" if not result.query.empty else "nothing to search for")
        return
    if result.fell_back:
        click.echo("no article has all the words; these have some of them:")
    zone = settings_of(ctx).zone
    console().print(
        articles_table(f"'{text}': {result.total} found", [h.article for h in result.hits], zone)
    )


@search_group.command("reindex")
@click.pass_context
def reindex_command(ctx: click.Context) -> None:
    """Rebuild the search index of every article."""

    async def work(app: App) -> int:
        async with app.sessions() as session:
            if not is_terminal():
                return await reindex(session, default_analyzer())
            with Progress(
                "reindex", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True
            ) as bar:
                task = bar.add_task("reindex", total=None)

                def advance(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                return await reindex(session, default_analyzer(), progress=advance)

    count = run_with_app(ctx, work)
    click.echo(f"reindexed {count} articles")


@click.command("top")
@click.option("--limit", type=click.IntRange(1, 100), default=7, show_default=True)
@click.option(
    "--window",
    type=click.Choice([w.value for w in Window]),
    default="day",
    show_default=True,
    help="Days counted, ending today in NEWSBOT_TIMEZONE.",
)
@click.option("--section", default=None, help="Only this section.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.pass_context
def top_command(
    ctx: click.Context, limit: int, window: str, section: str | None, as_json: bool
) -> None:
    """Most viewed articles (가장 많이 본 뉴스) over a day, week or month."""
    zone = settings_of(ctx).zone

    async def work(app: App) -> Any:
        async with app.sessions() as session:
            return await top_articles(
                session,
                window=Window(window),
                now=app.clock.now(),
                zone=zone,
                limit=limit,
                section=section,
            )

    top = run_with_app(ctx, work)
    if as_json:
        print_json([article_json(e.article, zone, views=e.views) for e in top.entries])
        return
    if top.fell_back:
        click.echo(f"no views recorded {top.first_day} – {top.last_day}: showing the latest")
    if not top.entries:
        click.echo("no articles yet")
        return
    title = f"가장 많이 본 뉴스 ({top.first_day} – {top.last_day})"
    views = None if top.fell_back else [e.views for e in top.entries]
    console().print(articles_table(title, [e.article for e in top.entries], zone, views=views))
