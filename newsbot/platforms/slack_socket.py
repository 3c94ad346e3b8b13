"""Slack's Socket Mode: events over a WebSocket the bot opens, so no public URL is needed.

bolt's ``AsyncSocketModeHandler`` (aiohttp) feeds the same ``AsyncApp`` the HTTP route does.
slack-sdk retries a failing connect forever (a wrong ``xapp-`` token, a dead network), so
the connect runs in a task bounded by ``connect_timeout``: past it, one clear line says why
and the bot goes on delivering without Slack readers. ``stop`` closes the socket
(``close_async``), as SIGTERM does through the service.

Started on every process: Slack spreads events over all open connections of an app, and
each request is acted on once wherever it lands (``SlackFrontend`` claims it in the store).
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from newsbot.platforms.slack_bot import SlackFrontend

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 30.0


class SlackSocket:
    def __init__(
        self, frontend: SlackFrontend, app_token: str, *, connect_timeout: float = CONNECT_TIMEOUT
    ) -> None:
        self.frontend = frontend
        self.app_token = app_token
        self.connect_timeout = connect_timeout
        self.handler: AsyncSocketModeHandler | None = None
        self.connected = asyncio.Event()
        self.failed: str | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.handler = AsyncSocketModeHandler(
            self.frontend.app,
            self.app_token,
            logger=logging.getLogger("slack_sdk.socket_mode"),
            web_client=self.frontend.platform.client,
        )
        self._task = asyncio.create_task(self._connect(self.handler), name="slack-socket")

    async def _connect(self, handler: AsyncSocketModeHandler) -> None:
        try:
            await asyncio.wait_for(
                handler.connect_async(),  # type: ignore[no-untyped-call]
                self.connect_timeout,
            )
        except TimeoutError:
            self.failed = (
                f"Slack Socket Mode did not connect within {self.connect_timeout:g} s "
                "(check NEWSBOT_SLACK_APP_TOKEN, its connections:write scope and the network); "
                "delivering to Slack without reading its readers"
            )
            log.error("%s", self.failed)
            with suppress(Exception):
                await handler.close_async()  # type: ignore[no-untyped-call]
            return
        self.connected.set()
        log.info("slack: reading readers' events over Socket Mode")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.handler is not None:
            with suppress(Exception):
                await self.handler.close_async()  # type: ignore[no-untyped-call]
            self.handler = None
