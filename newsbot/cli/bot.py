"""`newsbot run` and `newsbot worker`: the bot itself."""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta

import click

from handlers.chats import ChatHandlers
from handlers.reader import ReaderHandlers
from handlers.router import RateLimit, Router
from newsbot.app import App
from newsbot.cli.root import run_with_app, settings_of
from newsbot.config import Settings
from newsbot.delivery.dispatcher import DispatchSettings
from newsbot.delivery.outcomes import Platform
from newsbot.delivery.pacing import Limits
from newsbot.errors import StoreError
from newsbot.ingest.poller import PollSettings
from newsbot.platforms.console import ConsolePlatform
from newsbot.platforms.slack import SlackPlatform, slack_limits
from newsbot.platforms.telegram import TelegramPlatform
from newsbot.platforms.telegram_bot import TelegramFrontend, WebhookConfig
from newsbot.service import Frontend, Service, process_name, sqlite_single_process
from newsbot.store.engine import backend_name
from newsbot.text.analyzer import default_analyzer


def _platforms(settings: Settings) -> dict[str, Platform]:
    platforms: dict[str, Platform] = {"console": ConsolePlatform()}
    if settings.telegram_token is not None:
        platforms["telegram"] = TelegramPlatform(
            settings.telegram_token.get_secret_value(),
            api_url=settings.telegram_api_url,
            limits=Limits(overall_per_second=settings.telegram_overall_per_second),
        )
    if settings.slack_bot_token is not None:
        platforms["slack"] = SlackPlatform(
            settings.slack_bot_token.get_secret_value(),
            api_url=settings.slack_api_url,
            limits=slack_limits(settings.slack_channel_per_second),
        )
    return platforms


def _frontends(app: App, settings: Settings, platforms: dict[str, Platform]) -> list[Frontend]:
    """What readers talk to: the Telegram bot, when Telegram is configured."""
    telegram = platforms.get("telegram")
    if not isinstance(telegram, TelegramPlatform):
        return []
    analyzer = default_analyzer()
    chats = ChatHandlers(app.sessions, analyzer, app.clock)
    router = Router(
        app.sessions,
        ReaderHandlers(app.sessions, analyzer, app.clock, settings.zone),
        chats,
        limit=RateLimit(calls=settings.search_per_minute),
    )
    webhook = None
    if settings.telegram_webhook_url and settings.telegram_webhook_secret is not None:
        host, _, port = settings.telegram_webhook_listen.rpartition(":")
        webhook = WebhookConfig(
            url=settings.telegram_webhook_url,
            secret=settings.telegram_webhook_secret.get_secret_value(),
            host=host,
            port=int(port),
        )
    frontend = TelegramFrontend(telegram, router, webhook=webhook)
    chats.channels = frontend
    return [frontend]


def _service(app: App, settings: Settings, *, readers: bool = False) -> Service:
    platforms = _platforms(settings)
    return Service(
        app=app,
        platforms=platforms,
        frontends=_frontends(app, settings, platforms) if readers else [],
        dispatch_settings=DispatchSettings(
            owner=process_name(),
            concurrency=settings.dispatch_concurrency,
            lease=timedelta(seconds=settings.dispatch_lease_seconds),
        ),
        poll_settings=PollSettings(
            max_bytes=settings.feed_max_bytes,
            max_backoff=settings.feed_max_backoff,
            concurrency=settings.feed_concurrency,
            zone=settings.zone,
            deadline=settings.feed_fetch_deadline,
        ),
    )


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
        service = _service(app, settings, readers=not once)
        if once:
            written = await service.match_all()
            report = await service.dispatch_all()
            return (
                f"matched {written} deliveries; sent {report.sent}, retried "
                f"{report.retried}, failed {report.failed}, deferred {report.deferred}"
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
        await _until_stopped(_service(app, settings), lead=False)

    run_with_app(ctx, work)
