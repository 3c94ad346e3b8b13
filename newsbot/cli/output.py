"""How articles and reports look on a terminal and as JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import click
from rich.console import Console
from rich.table import Table

from newsbot.ingest.drafts import Problem
from newsbot.ingest.feeds import BREAKING_MARKERS
from newsbot.store.models import Article


def console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def iso(moment: datetime | None, zone: ZoneInfo) -> str | None:
    return moment.astimezone(zone).isoformat() if moment else None


def article_json(article: Article, zone: ZoneInfo, **extra: Any) -> dict[str, Any]:
    return {
        "id": article.id,
        "title": article.title,
        "url": article.url,
        "section": article.section,
        "author": article.author,
        "published_at": iso(article.published_at, zone),
        "updated_at": iso(article.updated_at, zone),
        "revision": article.revision,
        "lead": article.lead,
        "source": article.source,
        "guid": article.guid,
        "is_breaking": article.is_breaking,
        "date_source": article.date_source.value,
        **extra,
    }


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def short_time(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%m-%d %H:%M")


def articles_table(
    title: str, articles: Sequence[Article], zone: ZoneInfo, views: Sequence[int] | None = None
) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False, expand=False)
    table.add_column("#", justify="right", style="dim")
    table.add_column("id", justify="right")
    table.add_column("when", no_wrap=True)
    table.add_column("section", no_wrap=True)
    table.add_column("title", overflow="fold")
    if views is not None:
        table.add_column("views", justify="right")
    for rank, article in enumerate(articles, start=1):
        flag = article.is_breaking and not article.title.startswith(BREAKING_MARKERS)
        row = [
            str(rank),
            str(article.id),
            short_time(article.published_at, zone),
            article.section or "-",
            ("[속보] " if flag else "") + article.title,
        ]
        if views is not None:
            row.append(f"{views[rank - 1]:,}")
        table.add_row(*row)
    return table


def print_problems(problems: Iterable[Problem], limit: int = 20) -> None:
    shown = list(problems)
    for problem in shown[:limit]:
        click.echo(f"  rejected {problem}", err=True)
    if len(shown) > limit:
        click.echo(f"  … and {len(shown) - limit} more rejected", err=True)


def is_terminal() -> bool:
    return sys.stdout.isatty()
