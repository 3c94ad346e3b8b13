"""The composition root: the whole bot, built from Settings in one place.

``build_bot`` takes the opened store (``newsbot.app.open_app``) and builds, in order, the
analyzer → the platforms that send → each platform's directory → the one Router every
frontend shares → the frontends readers talk to → the service that runs it all. The CLI
parses arguments and calls it; tests call the same function, changing only what they must
(a platform pointed at a fake, extra commands, the console's input).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TextIO

from handlers.commands import build_router
from handlers.context import HandlerContext
from handlers.registry import CommandSpec
from handlers.router import RateLimit, Router
from newsbot.app import App
from newsbot.config import Settings
from newsbot.conversation import ChatDirectory, Frontend
from newsbot.delivery.dispatcher import DispatchSettings
from newsbot.delivery.outcomes import Platform
from newsbot.delivery.pacing import Limits, Pacer
from newsbot.health import Health
from newsbot.ingest.importer import ImportReport, import_records
from newsbot.ingest.payloads import Record
from newsbot.ingest.poller import PollSettings
from newsbot.ingest.view_counts import ViewsReport, store_views
from newsbot.leadership import process_name
from newsbot.metrics import Metrics
from newsbot.platforms.cms_api import CmsApi
from newsbot.platforms.console import ConsolePlatform
from newsbot.platforms.console_chat import ConsoleDirectory, ConsoleFrontend
from newsbot.platforms.request_limit import RequestLimit
from newsbot.platforms.slack import SlackPlatform, slack_limits
from newsbot.platforms.slack_bot import SlackFrontend
from newsbot.platforms.slack_directory import SlackDirectory
from newsbot.platforms.slack_socket import SlackSocket
from newsbot.platforms.telegram import TelegramPlatform
from newsbot.platforms.telegram_bot import TelegramFrontend, WebhookConfig
from newsbot.platforms.telegram_directory import TelegramDirectory
from newsbot.platforms.web import HttpServer, Listen
from newsbot.service import Service
from newsbot.store.articles import Outcome
from newsbot.store.inbound import claim_request
from newsbot.text.analyzer import Analyzer, default_analyzer

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ConsoleChat:
    """The terminal as a chat (the demo, and tests): what is typed, and where replies go."""

    lines: AsyncIterator[str] | None = None
    out: TextIO | None = None
    user_id: str = "desk"


@dataclass(frozen=True, slots=True)
class Overrides:
    """What a test (or an embedding program) changes; everything else comes from Settings."""

    platforms: Mapping[str, Platform] = field(default_factory=dict)  # used as given
    commands: Iterable[CommandSpec] = ()  # beyond the built-in ones
    rate_limit: RateLimit | None = None
    dispatch_owner: str | None = None
    dispatch_concurrency: int | None = None


@dataclass(slots=True)
class Bot:
    app: App
    analyzer: Analyzer
    platforms: dict[str, Platform]
    directories: dict[str, ChatDirectory]
    router: Router
    console: ConsoleFrontend
    frontends: list[Frontend]
    service: Service
    metrics: Metrics
    health: Health
    server: HttpServer | None = None  # the process's one HTTP server, when it has routes
    slack: SlackFrontend | None = None  # Slack's readers (HTTP mode or Socket Mode)
    slack_socket: SlackSocket | None = None
    cms_api: CmsApi | None = None  # POST /api/articles and /api/views, with NEWSBOT_API_TOKEN


def build_platforms(app: App, overrides: Mapping[str, Platform]) -> dict[str, Platform]:
    settings = app.settings
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
    platforms.update(overrides)
    return platforms


def _telegram_webhook(app: App) -> WebhookConfig | None:
    settings = app.settings
    if not settings.telegram_webhook_url or settings.telegram_webhook_secret is None:
        return None
    host, _, port = settings.telegram_webhook_listen.rpartition(":")
    return WebhookConfig(
        url=settings.telegram_webhook_url,
        secret=settings.telegram_webhook_secret.get_secret_value(),
        host=host,
        port=int(port),
    )


DEFAULT_HTTP_LISTEN = "127.0.0.1:8080"


def _slack_mode(app: App) -> str | None:
    """How Slack's readers reach the bot: "socket" with an app token, "http" with a signing
    secret (bolt checks it on every request), None (delivery only) without either."""
    settings = app.settings
    if settings.slack_app_token is not None:
        return "socket"
    if settings.slack_signing_secret is not None:
        return "http"
    log.warning(
        "slack: no NEWSBOT_SLACK_APP_TOKEN or NEWSBOT_SLACK_SIGNING_SECRET: delivering only, "
        "Slack readers' commands are not read"
    )
    return None


def _claimer(app: App) -> Callable[[str], Awaitable[bool]]:
    """Claims a platform request once in the store, across processes."""

    async def claim(key: str) -> bool:
        async with app.sessions() as session:
            first = await claim_request(session, key, now=app.clock.now())
            await session.commit()
        return first

    return claim


def _cms_api(app: App, service: Service, analyzer: Analyzer) -> CmsApi | None:
    """The CMS push API while NEWSBOT_API_TOKEN is set. It stores through the importer and
    wakes this process's matcher when it stored new or corrected articles (on PostgreSQL the
    trigger's NOTIFY wakes the leader's too, whichever process that is)."""
    settings = app.settings
    if settings.api_token is None:
        return None

    async def articles(records: list[Record]) -> ImportReport:
        report = await import_records(
            app.sessions, records, zone=settings.zone, clock=app.clock, analyzer=analyzer
        )
        if report.counts[Outcome.NEW] or report.counts[Outcome.CORRECTED]:
            service.articles_stored()
        return report

    async def views(records: list[Record]) -> ViewsReport:
        return await store_views(app.sessions, records)

    return CmsApi(
        token=settings.api_token.get_secret_value(),
        max_bytes=settings.api_max_bytes,
        limit=RequestLimit(settings.api_per_minute),
        store_articles=articles,
        store_views=views,
    )


def _listen_address(settings: Settings, *, wanted: bool) -> str | None:
    webhook = (
        bool(settings.telegram_webhook_url)
        and settings.telegram_webhook_secret is not None
        and settings.telegram_token is not None
    )
    if not (wanted or webhook or settings.http_listen):
        return None
    return settings.http_listen or (
        settings.telegram_webhook_listen if webhook else DEFAULT_HTTP_LISTEN
    )


def http_listen_address(settings: Settings) -> str | None:
    """Where `newsbot run` with these settings listens for HTTP; None when it serves none
    (for `newsbot doctor`, which checks the address is free)."""
    slack_http = (
        settings.slack_bot_token is not None
        and settings.slack_app_token is None
        and settings.slack_signing_secret is not None
    )
    return _listen_address(settings, wanted=slack_http or settings.api_token is not None)


def _http_server(app: App, *, wanted: bool) -> HttpServer | None:
    """The process's one HTTP server: when something is served on it (Slack's HTTP mode, a
    Telegram webhook, the CMS push API) or NEWSBOT_HTTP_LISTEN asks for it. Without
    NEWSBOT_HTTP_LISTEN a Telegram webhook keeps listening where
    NEWSBOT_TELEGRAM_WEBHOOK_LISTEN says."""
    listen = _listen_address(app.settings, wanted=wanted)
    return None if listen is None else HttpServer(Listen.parse(listen))


WORKER_HTTP_LISTEN = "NEWSBOT_WORKER_HTTP_LISTEN"


def _worker_server(settings: Settings) -> HttpServer | None:
    """A worker's own server, /healthz and /metrics only, where NEWSBOT_WORKER_HTTP_LISTEN
    says; none without it. Never NEWSBOT_HTTP_LISTEN: `newsbot run` on the same host (and the
    same .env) listens there, and a worker serves neither the CMS API nor platform routes."""
    listen = settings.worker_http_listen
    return None if listen is None else HttpServer(Listen.parse(listen), setting=WORKER_HTTP_LISTEN)


def build_bot(
    app: App,
    *,
    readers: bool = True,
    console: ConsoleChat | None = None,
    overrides: Overrides | None = None,
) -> Bot:
    """The bot on ``app``'s store. ``readers``: serve readers' commands (``newsbot run``),
    not only deliver (``worker``, ``run --once``). ``console``: the terminal is a chat too."""
    overrides = overrides or Overrides()
    settings = app.settings
    analyzer = default_analyzer()
    metrics = Metrics(app.sessions, app.clock)
    platforms = build_platforms(app, overrides.platforms)
    # One pace per platform, shared by pushes and replies so the two never collide.
    pacers = {name: Pacer(platform.limits) for name, platform in platforms.items()}
    directories: dict[str, ChatDirectory] = {"console": ConsoleDirectory()}
    telegram = platforms.get("telegram")
    if isinstance(telegram, TelegramPlatform):
        directories["telegram"] = TelegramDirectory(telegram)
    slack = platforms.get("slack")
    slack_directory = SlackDirectory(slack) if isinstance(slack, SlackPlatform) else None
    if slack_directory is not None:
        directories["slack"] = slack_directory
    context = HandlerContext(app.sessions, analyzer, app.clock, settings.zone, directories)
    router = build_router(
        context,
        admins=settings.admin_users,
        limit=overrides.rate_limit or RateLimit(calls=settings.search_per_minute),
        extra=overrides.commands,
        telemetry=metrics,
    )
    chat = console or ConsoleChat()
    console_frontend = ConsoleFrontend(router, lines=chat.lines, out=chat.out, user_id=chat.user_id)
    frontends: list[Frontend] = []
    servers: list[Frontend] = []
    slack_mode = _slack_mode(app) if readers and slack_directory is not None else None
    wanted = slack_mode == "http" or settings.api_token is not None
    server = _http_server(app, wanted=wanted) if readers else _worker_server(settings)
    if server is not None:
        servers.append(server)
    if readers:
        if isinstance(telegram, TelegramPlatform):
            frontends.append(
                TelegramFrontend(
                    telegram,
                    router,
                    webhook=_telegram_webhook(app),
                    pacer=pacers["telegram"],
                    server=server,
                )
            )
        if console is not None:
            frontends.append(console_frontend)
    slack_frontend, slack_socket = None, None
    if slack_mode is not None and isinstance(slack, SlackPlatform) and slack_directory:
        secret = settings.slack_signing_secret
        slack_frontend = SlackFrontend(
            slack,
            router,
            slack_directory,
            claim=_claimer(app),
            signing_secret=secret.get_secret_value() if secret and slack_mode == "http" else None,
            pacer=pacers["slack"],
            server=server if slack_mode == "http" else None,
        )
        if slack_mode == "socket" and settings.slack_app_token is not None:
            slack_socket = SlackSocket(slack_frontend, settings.slack_app_token.get_secret_value())
            servers.append(slack_socket)
    service = Service(
        app=app,
        platforms=platforms,
        frontends=frontends,
        servers=servers,
        dispatch_settings=DispatchSettings(
            owner=overrides.dispatch_owner or process_name(),
            concurrency=overrides.dispatch_concurrency or settings.dispatch_concurrency,
            lease=timedelta(seconds=settings.dispatch_lease_seconds),
            headline_max_age=settings.headline_max_age,
            urgent_max_age=settings.urgent_max_age,
        ),
        poll_settings=PollSettings.of(settings),
        pacers=pacers,
        telemetry=metrics,
    )
    leadership, breakers = service.leadership, service.dispatcher.breakers
    metrics.leading = lambda: leadership.leading
    metrics.kiwi_loaded = lambda: analyzer.state == "kiwi"
    health = Health(
        app.engine,
        metrics.activity,
        leading=lambda: leadership.leading,
        platforms=lambda: {name: breaker.describe() for name, breaker in breakers.items()},
        analyzer=lambda: analyzer.state,
    )
    cms_api = _cms_api(app, service, analyzer) if server is not None and readers else None
    if server is not None and cms_api is not None:
        cms_api.mount(server)
    if server is not None:
        server.health = health.check
        server.metrics = metrics.scrape
    return Bot(
        app=app,
        analyzer=analyzer,
        platforms=platforms,
        directories=directories,
        router=router,
        console=console_frontend,
        frontends=frontends,
        service=service,
        metrics=metrics,
        health=health,
        server=server,
        slack=slack_frontend,
        slack_socket=slack_socket,
        cms_api=cms_api,
    )
