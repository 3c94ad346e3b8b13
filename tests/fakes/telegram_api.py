"""A fake Telegram Bot API on loopback for the real python-telegram-bot client.

It answers getMe and sendMessage the way the Bot API does (form-encoded requests, JSON
replies with ok/result or ok/error_code/description/parameters), records every request
whole, and can be told to misbehave: 429 with retry_after, 5xx, slow answers, blocked users,
chats that migrated to a supergroup, chats that do not exist.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

TOKEN = "123456:TEST-token"


@dataclass
class Recorded:
    method: str
    fields: dict[str, str]


def _error(code: int, description: str, **parameters: Any) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


@dataclass
class FakeTelegram:
    requests: list[Recorded] = field(default_factory=list)
    behaviours: dict[str, deque[str]] = field(default_factory=lambda: defaultdict(deque))
    blocked: set[str] = field(default_factory=set)
    migrated: dict[str, int] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)
    flood_every: int = 0  # every Nth sendMessage gets a 429 (a storm)
    retry_after: int = 1
    slow_seconds: float = 2.0
    port: int = 0
    _message_id: int = 0
    _sends: int = 0

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def then(self, chat: str, *behaviours: str) -> None:
        """The next requests to this chat: "429", "502", "slow", then normal service."""
        self.behaviours[chat].extend(behaviours)

    def delivered(self, chat: str | None = None) -> list[dict[str, str]]:
        return [
            r.fields
            for r in self.requests
            if r.method == "sendMessage"
            and r.fields.get("_ok") == "1"
            and (chat is None or r.fields["chat_id"] == chat)
        ]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        token, method = request.match_info["token"], request.match_info["method"]
        if request.content_type == "application/json":
            payload = await request.json() if request.can_read_body else {}
            fields = {k: str(v) for k, v in payload.items()}
        else:
            form = await request.post()
            fields = {k: str(v) for k, v in form.items()}
        record = Recorded(method, fields)
        self.requests.append(record)
        if token != TOKEN:
            return _error(401, "Unauthorized")
        if method == "getMe":
            return web.json_response(
                {
                    "ok": True,
                    "result": {
                        "id": 123456,
                        "is_bot": True,
                        "first_name": "newsbot",
                        "username": "newsbot_bot",
                    },
                }
            )
        if method != "sendMessage":
            return _error(404, "Not Found")
        return await self._send(fields, record)

    async def _send(self, fields: dict[str, str], record: Recorded) -> web.StreamResponse:
        chat = fields.get("chat_id", "")
        self._sends += 1
        behaviour = self.behaviours[chat].popleft() if self.behaviours.get(chat) else ""
        if behaviour == "slow":
            await asyncio.sleep(self.slow_seconds)
        if behaviour == "429" or (self.flood_every and self._sends % self.flood_every == 0):
            return _error(
                429,
                f"Too Many Requests: retry after {self.retry_after}",
                retry_after=self.retry_after,
            )
        if behaviour == "502":
            return _error(502, "Bad Gateway")
        if chat in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        if chat in self.migrated:
            return _error(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=self.migrated[chat],
            )
        if chat in self.missing:
            return _error(400, "Bad Request: chat not found")
        self._message_id += 1
        record.fields["_ok"] = "1"
        return web.json_response(
            {
                "ok": True,
                "result": {
                    "message_id": self._message_id,
                    "date": int(time.time()),
                    "chat": {"id": int(chat), "type": "private"},
                    "text": fields.get("text", ""),
                },
            }
        )


@pytest.fixture(name="fake_telegram")
async def fake_telegram_fixture() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", fake.handle)
    runner = web.AppRunner(
        app, handle_signals=False, handler_cancellation=True, shutdown_timeout=0.5
    )
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake.port = site.port
    try:
        yield fake
    finally:
        await runner.cleanup()
