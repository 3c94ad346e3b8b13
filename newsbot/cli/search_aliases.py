"""`newsbot search aliases`: the newsroom's say in what a word also finds.

    newsbot search aliases add AI 인공지능        a search for either finds both
    newsbot search aliases remove AI 인공지능     (a bundled default too; it stays removed)
    newsbot search aliases list
    newsbot search aliases import aliases.csv     one group a line: word,alias[,alias…]

Aliases apply from the next search on, on either store; nothing is reindexed.
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import click

from newsbot.app import App
from newsbot.cli.root import run_with_app
from newsbot.search.aliases import (
    BadAlias,
    ImportReport,
    add_alias,
    import_aliases,
    list_aliases,
    remove_alias,
)


@click.group("aliases")
def aliases_group() -> None:
    """Words a search for another word also finds (AI = 인공지능), both ways."""


def _refuse(ctx: click.Context, problem: BadAlias) -> NoReturn:
    raise click.UsageError(str(problem), ctx=ctx)


@aliases_group.command("add")
@click.argument("word")
@click.argument("alias")
@click.pass_context
def add_command(ctx: click.Context, word: str, alias: str) -> None:
    """Make a search for WORD find ALIAS, and the reverse."""

    async def work(app: App) -> bool:
        async with app.sessions() as session:
            added = await add_alias(session, word, alias)
            await session.commit()
            return added

    try:
        added = run_with_app(ctx, work)
    except BadAlias as problem:
        _refuse(ctx, problem)
    click.echo(f"{word} = {alias}: " + ("added" if added else "already there"))


@aliases_group.command("remove")
@click.argument("word")
@click.argument("alias")
@click.pass_context
def remove_command(ctx: click.Context, word: str, alias: str) -> None:
    """Stop WORD and ALIAS finding each other."""

    async def work(app: App) -> bool:
        async with app.sessions() as session:
            removed = await remove_alias(session, word, alias)
            await session.commit()
            return removed

    try:
        removed = run_with_app(ctx, work)
    except BadAlias as problem:
        _refuse(ctx, problem)
    if not removed:
        raise click.ClickException(f"{word} = {alias} is not an alias")
    click.echo(f"{word} = {alias}: removed")


@aliases_group.command("list")
@click.pass_context
def list_command(ctx: click.Context) -> None:
    """Every alias pair, as stored (folded: lower case)."""

    async def work(app: App) -> list[tuple[str, str]]:
        async with app.sessions() as session:
            return await list_aliases(session)

    pairs = run_with_app(ctx, work)
    for word, alias in pairs:
        click.echo(f"{word} = {alias}")
    if not pairs:
        click.echo("no aliases")


@aliases_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def import_command(ctx: click.Context, path: Path) -> None:
    """Import aliases from CSV: one group a line, `word,alias[,alias…]`; `#` lines skipped.

    A bad line is reported with its line number and the others are imported.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise click.UsageError(f"{path.name} is not UTF-8 text", ctx=ctx) from None

    async def work(app: App) -> ImportReport:
        async with app.sessions() as session:
            report = await import_aliases(session, text)
            await session.commit()
            return report

    report = run_with_app(ctx, work)
    click.echo(
        f"{path.name}: added {report.added}, already there {report.known}, "
        f"rejected {len(report.problems)}"
    )
    for problem in report.problems:
        click.echo(f"  rejected {problem}", err=True)
