"""The process's one HTTP server (aiohttp): every route the bot answers on one listener.

Routes are added by whoever serves them before the server starts: Slack's ``/slack/events``
(``slack_bot``), the Telegram webhook (``telegram_bot``), the CMS push API (``cms_api``,
which reads its body itself under its own cap), and the server's own ``GET /healthz`` and
``GET /metrics``, whose answers the composition root provides (``newsbot.health``,
``newsbot.metrics``): this module only serves them. A body over ``max_body`` bytes is
answered 413 when a handler reads it; the routes check their own signatures or secrets.
The server is started on every ``newsbot run``
process, leader or not: its routes keep no state of their own (what must happen once is made
so in the store), so any number of processes can stand behind one load balancer. A ``newsbot
worker`` has one only with NEWSBOT_WORKER_HTTP_LISTEN, serving /healthz and /metrics alone.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from newsbot.errors import ConfigError

log = logging.getLogger(__name__)

MAX_BODY = 1_000_000  # bytes; Slack's and Telegram's requests are a few KB
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# /healthz: (HTTP status, JSON body). /metrics: (exposition text, its content type).
HealthCheck = Callable[[], Awaitable[tuple[int, dict[str, object]]]]
MetricsScrape = Callable[[], Awaitable[tuple[bytes, str]]]


@dataclass(frozen=True, slots=True)
class Listen:
    host: str
    port: int

    @classmethod
    def parse(cls, value: str) -> Listen:
        host, _, port = value.rpartition(":")
        return cls(host.strip("[]"), int(port))


class HttpServer:
    """One aiohttp server; ``route`` before ``start``. ``port`` is the one bound (0 asks the
    system for a free one, which tests do)."""

    def __init__(
        self, listen: Listen, *, max_body: int = MAX_BODY, setting: str = "NEWSBOT_HTTP_LISTEN"
    ) -> None:
        self.listen = listen
        self.setting = setting  # named when the address cannot be bound
        self.app = web.Application(client_max_size=max_body)
        self.app.router.add_get("/healthz", self._healthz)
        self.app.router.add_get("/metrics", self._metrics)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self.paths: list[str] = ["/healthz", "/metrics"]
        # What /healthz and /metrics answer; set by the composition root.
        self.health: HealthCheck | None = None
        self.metrics: MetricsScrape | None = None

    def route(self, method: str, path: str, handler: Handler) -> None:
        self.app.router.add_route(method, path, handler)
        self.paths.append(path)

    async def start(self) -> None:
        if self._runner is not None:
            return
        runner = web.AppRunner(self.app, handle_signals=False, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.listen.host, self.listen.port).start()
        except OSError as problem:
            await runner.cleanup()
            where = f"{self.listen.host}:{self.listen.port}"
            raise ConfigError(f"{self.setting}={where}: cannot listen: {problem}") from None
        self._runner = runner
        addresses = runner.addresses
        self.port = int(addresses[0][1]) if addresses else self.listen.port
        log.info(
            "http: listening on %s:%s (%s)", self.listen.host, self.port, ", ".join(self.paths)
        )

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, _: web.Request) -> web.Response:
        """The health check's status and body; 200 {"ok": true} while the process serves
        when nothing more is wired."""
        if self.health is None:
            return web.json_response({"ok": True})
        status, body = await self.health()
        return web.json_response(body, status=status)

    async def _metrics(self, _: web.Request) -> web.Response:
        if self.metrics is None:
            raise web.HTTPNotFound()
        body, content_type = await self.metrics()
        return web.Response(body=body, headers={"Content-Type": content_type})
