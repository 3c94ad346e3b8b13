"""The root command group and what every subcommand shares."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from newsbot import __version__, event_loop
from newsbot.app import App, index_missing, open_app, prepare_store
from newsbot.config import Settings, load_settings
from newsbot.errors import ConfigError
from newsbot.logs import setup_logging

T = TypeVar("T")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="newsbot")
@click.option(
    "--database-url",
    metavar="URL",
    default=None,
    help="Article store (default: NEWSBOT_DATABASE_URL or sqlite:///./newsbot.db).",
)
@click.pass_context
def cli(ctx: click.Context, database_url: str | None) -> None:
    """newsbot: pushes a newsroom's headlines to Telegram and Slack, and answers readers."""
    overrides: dict[str, Any] = {}
    if database_url:
        overrides["database_url"] = database_url
    try:
        settings = load_settings(**overrides)
    except ConfigError as exc:
        if ctx.invoked_subcommand != "doctor":
            raise
        ctx.obj = exc  # the doctor reports it as its first check
        return
    setup_logging(settings.log_level)
    ctx.obj = settings


def settings_of(ctx: click.Context) -> Settings:
    settings = ctx.find_root().obj
    assert isinstance(settings, Settings)
    return settings


def run_with_app(ctx: click.Context, work: Callable[[App], Awaitable[T]]) -> T:
    """Migrate-if-embedded, open the app, run one coroutine, close everything."""
    settings = settings_of(ctx)
    upgraded = prepare_store(settings)

    async def runner() -> T:
        async with open_app(settings) as app:
            if upgraded:
                await index_missing(app)
            return await work(app)

    return event_loop.run(runner())
