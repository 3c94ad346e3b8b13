"""A fake Slack Web API on loopback for the real slack-sdk client.

It serves ``POST/GET /api/{method}`` the way slack.com does: arguments from the query string,
a form-encoded body or a JSON body (slack-sdk uses all three: chat.postMessage and chat.update
send JSON, chat.delete and auth.test send query parameters), the token from the
``Authorization: Bearer`` header or a ``token`` argument, and JSON answers ``{"ok": true, …}``
or ``{"ok": false, "error": "…"}``. Every request is recorded whole.

For the reader side it also serves ``users.info`` (with locales and admin flags),
``conversations.info`` (with the creator), ``chat.postEphemeral``, ``views.publish``, the
``response_url``s it hands out (``/respond/{n}``, recorded as ``responses``), and Socket Mode:
``apps.connections.open`` (for ``APP_TOKEN``) answers a WebSocket URL on this same server,
which says hello, sends the envelopes a test queues (``send_envelope``) and records the acks.

Switches make it misbehave: 429 with Retry-After for the next N calls or every Nth post (a
storm), 5xx bursts, answers slower than the client waits, archived, missing and not-joined
channels, and a revoked token (``invalid_auth``).

``auth.test`` answers who the token is and, as Slack does, the scopes it was granted in the
``x-oauth-scopes`` response header (``scopes``: every scope the app manifest asks for, unless a
test takes some away).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
from aiohttp import web

from newsbot.platforms.slack_manifest import SCOPES
from tests.fakes.loopback import serving

TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-1-test-app-token"
T = TypeVar("T")
TEAM = {"team": "Newsroom", "team_id": "T0NEWS", "user": "newsbot", "user_id": "U0BOT"}


@dataclass
class Recorded:
    method: str  # the Web API method, e.g. chat.postMessage
    http_method: str
    headers: dict[str, str]
    query: dict[str, str]
    body: dict[str, Any]  # the parsed JSON or form body
    content_type: str
    status: int = 0
    answer: dict[str, Any] = field(default_factory=dict)

    @property
    def arguments(self) -> dict[str, Any]:
        return {**self.query, **self.body}

    @property
    def ok(self) -> bool:
        return bool(self.answer.get("ok"))


@dataclass
class Posted:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    deleted: bool = False


@dataclass
class FakeSlack:
    requests: list[Recorded] = field(default_factory=list)
    messages: dict[tuple[str, str], Posted] = field(default_factory=dict)
    archived: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)
    # Messages past the workspace's edit window, or that the bot may not delete: chat.update
    # answers cant_update_message, chat.delete cant_delete_message.
    frozen: set[tuple[str, str]] = field(default_factory=set)
    undeletable: set[tuple[str, str]] = field(default_factory=set)
    not_member: set[str] = field(default_factory=set)
    invalid_auth: bool = False
    scopes: list[str] = field(default_factory=lambda: list(SCOPES))  # granted to TOKEN
    rate_limited: int = 0  # the next N calls get 429
    flood_every: int = 0  # every Nth chat.postMessage gets 429 (a storm)
    retry_after: int = 1
    server_errors: int = 0  # the next N calls get a 5xx
    server_status: int = 503
    server_html: bool = False  # a 5xx from a proxy in front: an HTML page, not JSON
    slow: int = 0  # the next N calls answer only after slow_seconds
    slow_seconds: float = 2.0
    port: int = 0
    # the reader side
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # users.info answers
    creators: dict[str, str] = field(default_factory=dict)  # channel → who created it
    views: dict[str, dict[str, Any]] = field(default_factory=dict)  # user → home tab
    ephemeral: list[dict[str, Any]] = field(default_factory=list)  # chat.postEphemeral
    responses: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # response_url
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    acks: dict[str, dict[str, Any]] = field(default_factory=dict)  # envelope id → response
    _urls: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _envelopes: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _posts: int = 0
    _ts: int = 0

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def calls(self, method: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method]

    def delivered(self, channel: str | None = None) -> list[Recorded]:
        """The chat.postMessage requests that were answered ok, in order."""
        return [
            r
            for r in self.calls("chat.postMessage")
            if r.ok and (channel is None or r.arguments.get("channel") == channel)
        ]

    def response_url(self) -> str:
        """A fresh response_url, as Slack puts one in each command and button payload."""
        return f"http://127.0.0.1:{self.port}/respond/{next(self._urls)}"

    def responses_to(self, url: str) -> list[dict[str, Any]]:
        return [payload for path, payload in self.responses if url.endswith(path)]

    async def wait_for(self, predicate: Callable[[FakeSlack], T], timeout: float = 10.0) -> T:  # noqa: ASYNC109
        """Until ``predicate(self)`` is truthy, which it returns; fails after ``timeout``
        seconds (a test's patience, not a timing assertion), naming the last requests."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not (result := predicate(self)):
            if loop.time() > deadline:
                recent = [(r.method, r.arguments) for r in self.requests[-5:]]
                pytest.fail(f"fake Slack: condition not met; last requests: {recent}")
            await asyncio.sleep(0.01)
        return result

    async def respond(self, request: web.Request) -> web.Response:
        self.responses.append((request.path, json.loads(await request.text() or "{}")))
        return web.Response(text="ok")

    async def socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": len(self.sockets)})
        async for message in ws:
            if message.type.name == "TEXT":
                answer = json.loads(message.data)
                self.acks[str(answer.get("envelope_id"))] = answer.get("payload") or {}
        return ws

    async def send_envelope(self, kind: str, payload: dict[str, Any]) -> str:
        """Push a request down the open socket the way Slack does; its envelope id."""
        envelope_id = f"env-{next(self._envelopes)}"
        await self.sockets[-1].send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
            }
        )
        return envelope_id

    async def handle(self, request: web.Request) -> web.StreamResponse:
        record = await self._record(request)
        status, answer, headers = await self._answer(record)
        record.status, record.answer = status, answer
        if status >= 500 and self.server_html:
            page = f"<html><body><h1>{status}</h1></body></html>"
            return web.Response(text=page, status=status, content_type="text/html")
        return web.json_response(answer, status=status, headers=headers)

    async def _record(self, request: web.Request) -> Recorded:
        body: dict[str, Any] = {}
        if request.can_read_body:
            if request.content_type == "application/json":
                body = json.loads(await request.text() or "{}")
            else:
                body = {k: str(v) for k, v in (await request.post()).items()}
        record = Recorded(
            method=request.match_info["method"],
            http_method=request.method,
            headers=dict(request.headers),
            query=dict(request.query),
            body=body,
            content_type=request.content_type,
        )
        self.requests.append(record)
        return record

    async def _answer(self, record: Recorded) -> tuple[int, dict[str, Any], dict[str, str]]:
        if self.slow:
            self.slow -= 1
            await asyncio.sleep(self.slow_seconds)
        if record.method == "chat.postMessage":
            self._posts += 1
            if self.flood_every and self._posts % self.flood_every == 0:
                return self._ratelimited()
        if self.rate_limited:
            self.rate_limited -= 1
            return self._ratelimited()
        if self.server_errors:
            self.server_errors -= 1
            return self.server_status, {"ok": False, "error": "service_unavailable"}, {}
        if record.method == "apps.connections.open":
            if self._token(record) != APP_TOKEN:
                return 200, {"ok": False, "error": "invalid_auth"}, {}
            return 200, {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"}, {}
        if self.invalid_auth or self._token(record) != TOKEN:
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        handler = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post,
            "chat.update": self._update,
            "chat.delete": self._delete,
            "conversations.info": self._info,
            "users.info": self._user,
            "chat.postEphemeral": self._ephemeral,
            "views.publish": self._publish,
        }.get(record.method)
        if handler is None:
            return 200, {"ok": False, "error": "unknown_method"}, {}
        headers = {"x-oauth-scopes": ",".join(self.scopes)} if record.method == "auth.test" else {}
        return 200, handler(record.arguments), headers

    def _ratelimited(self) -> tuple[int, dict[str, Any], dict[str, str]]:
        return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(self.retry_after)}

    @staticmethod
    def _token(record: Recorded) -> str | None:
        scheme, _, token = record.headers.get("Authorization", "").partition(" ")
        if scheme == "Bearer" and token:
            return token
        value = record.arguments.get("token")
        return str(value) if value else None

    def _channel_problem(self, channel: str) -> dict[str, Any] | None:
        if not channel or channel in self.missing:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.archived:
            return {"ok": False, "error": "is_archived"}
        if channel in self.not_member:
            return {"ok": False, "error": "not_in_channel"}
        return None

    def _auth_test(self, _: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": "https://newsroom.slack.com/", "bot_id": "B0BOT", **TEAM}

    def _post(self, arguments: dict[str, Any]) -> dict[str, Any]:
        channel = str(arguments.get("channel", ""))
        if problem := self._channel_problem(channel):
            return problem
        if channel.startswith("U"):  # posting to a user lands in the bot's DM with them
            channel = "D" + channel[1:]
        self._ts += 1
        ts = f"{1_790_000_000 + self._ts}.{self._ts:06d}"
        blocks = arguments.get("blocks") or []
        if isinstance(blocks, str):  # form-encoded clients send blocks as a JSON string
            blocks = json.loads(blocks)
        posted = Posted(channel, ts, str(arguments.get("text", "")), blocks)
        self.messages[(channel, ts)] = posted
        message = {"type": "message", "user": TEAM["user_id"], "text": posted.text, "ts": ts}
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _find(self, arguments: dict[str, Any]) -> Posted | dict[str, Any]:
        channel, ts = str(arguments.get("channel", "")), str(arguments.get("ts", ""))
        if problem := self._channel_problem(channel):
            return problem
        posted = self.messages.get((channel, ts))
        if posted is None or posted.deleted:
            return {"ok": False, "error": "message_not_found"}
        return posted

    def _update(self, arguments: dict[str, Any]) -> dict[str, Any]:
        found = self._find(arguments)
        if isinstance(found, dict):
            return found
        if (found.channel, found.ts) in self.frozen:
            return {"ok": False, "error": "cant_update_message"}
        found.text = str(arguments.get("text", ""))
        found.blocks = arguments.get("blocks") or []
        return {"ok": True, "channel": found.channel, "ts": found.ts, "text": found.text}

    def _delete(self, arguments: dict[str, Any]) -> dict[str, Any]:
        found = self._find(arguments)
        if isinstance(found, dict):
            return found
        if (found.channel, found.ts) in self.undeletable:
            return {"ok": False, "error": "cant_delete_message"}
        found.deleted = True
        return {"ok": True, "channel": found.channel, "ts": found.ts}

    def _info(self, arguments: dict[str, Any]) -> dict[str, Any]:
        channel = str(arguments.get("channel", ""))
        if not channel or channel in self.missing:
            return {"ok": False, "error": "channel_not_found"}
        return {
            "ok": True,
            "channel": {
                "id": channel,
                "name": channel.lower(),
                "is_channel": channel.startswith("C"),
                "is_archived": channel in self.archived,
                "is_member": channel not in self.not_member,
                "creator": self.creators.get(channel, "U0CREATOR"),
            },
        }

    def _user(self, arguments: dict[str, Any]) -> dict[str, Any]:
        user = str(arguments.get("user", ""))
        found = {"id": user, "name": user.lower(), "locale": "ko-KR", **self.users.get(user, {})}
        return {"ok": True, "user": found}

    def _ephemeral(self, arguments: dict[str, Any]) -> dict[str, Any]:
        channel = str(arguments.get("channel", ""))
        if problem := self._channel_problem(channel):
            return problem
        blocks = arguments.get("blocks") or []
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        self.ephemeral.append({**arguments, "blocks": blocks})
        return {"ok": True, "message_ts": f"{1_790_000_000 + len(self.ephemeral)}.000001"}

    def _publish(self, arguments: dict[str, Any]) -> dict[str, Any]:
        view = arguments.get("view") or {}
        if isinstance(view, str):
            view = json.loads(view)
        if len(view.get("blocks", [])) > 100:
            return {"ok": False, "error": "invalid_blocks"}
        self.views[str(arguments.get("user_id", ""))] = view
        return {"ok": True, "view": {"id": "V0HOME", **view}}


@pytest.fixture(name="fake_slack")
async def fake_slack_fixture() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    app = web.Application()
    app.router.add_route("*", "/api/{method}", fake.handle)
    app.router.add_post("/respond/{n}", fake.respond)
    app.router.add_get("/socket", fake.socket)
    async with serving(app) as fake.port:
        yield fake
