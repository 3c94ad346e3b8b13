"""What `newsbot doctor` asks Telegram and Slack before the bot depends on them.

Each probe makes the calls an operator would make by hand (getMe and getWebhookInfo;
auth.test and its ``x-oauth-scopes`` header) through the same clients and base URLs the bot
uses, and turns the answers into ``Check`` lines: passed, failed with what to do, or skipped
when it could not run (a token refused leaves nothing to ask about the webhook). A probe
never raises: a refusal, a timeout and an unreachable host are each a failed check. Tokens
never appear in what a check says.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import socket
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from newsbot.platforms.slack import OPERATOR
from newsbot.platforms.slack_manifest import SCOPES
from newsbot.platforms.telegram import DEFAULT_API_URL
from newsbot.platforms.telegram_request import AiohttpRequest
from newsbot.platforms.web import Listen

T = TypeVar("T")
TELEGRAM_LOGIN = "telegram token"
TELEGRAM_WEBHOOK = "telegram webhook"
SLACK_LOGIN = "slack token"
SLACK_SCOPES = "slack scopes"
HTTP_LISTEN = "http listen"
DELIVERY_SCOPES = ("chat:write",)  # all a Slack app that only delivers needs


class Status(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the doctor's report: what was checked, how it went, what to do."""

    name: str
    status: Status
    detail: str
    fix: str = ""


def passed(name: str, detail: str) -> Check:
    return Check(name, Status.PASSED, detail)


def failed(name: str, detail: str, fix: str) -> Check:
    return Check(name, Status.FAILED, detail, fix)


def skipped(name: str, detail: str) -> Check:
    return Check(name, Status.SKIPPED, detail)


class _Unanswered(Exception):
    """A call that timed out or could not reach the host, worded for the operator."""


async def _within(call: Awaitable[T], seconds: float, host: str, secret: str) -> T:
    try:
        return await asyncio.wait_for(call, seconds)
    except TimeoutError:
        raise _Unanswered(f"no answer from {host} within {seconds:g} s") from None
    except (aiohttp.ClientError, OSError) as exc:
        raise _Unanswered(f"cannot reach {host}: {str(exc).replace(secret, '***')}") from None


# --- Telegram -----------------------------------------------------------------------------


def webhook_check(current: str, wanted: str | None, pending: int) -> Check:
    """getWebhookInfo's url against NEWSBOT_TELEGRAM_WEBHOOK_URL (unset: long polling)."""
    if wanted:
        if current == wanted:
            return passed(TELEGRAM_WEBHOOK, f"Telegram posts updates to {wanted}")
        if not current:
            return passed(
                TELEGRAM_WEBHOOK, f"not set yet: `newsbot run` sets it to {wanted} at start"
            )
        return failed(
            TELEGRAM_WEBHOOK,
            f"Telegram posts updates to {current}, not to NEWSBOT_TELEGRAM_WEBHOOK_URL ({wanted})",
            "another deployment may be using this token: stop it, then start `newsbot run` "
            "(it sets the webhook); or correct NEWSBOT_TELEGRAM_WEBHOOK_URL",
        )
    if not current:
        return passed(TELEGRAM_WEBHOOK, "none set: long polling (getUpdates) can read updates")
    return failed(
        TELEGRAM_WEBHOOK,
        f"a webhook is set ({current}, {pending} updates waiting) but "
        "NEWSBOT_TELEGRAM_WEBHOOK_URL is not: Telegram refuses getUpdates (long polling) while "
        "it is set",
        f"to keep the webhook, set NEWSBOT_TELEGRAM_WEBHOOK_URL={current}; if no other "
        "deployment uses this token, `newsbot run` deletes the webhook when it starts polling",
    )


async def telegram_checks(
    token: str, *, api_url: str | None, webhook_url: str | None, seconds: float
) -> list[Check]:
    """The token (getMe) and the webhook state (getWebhookInfo) against the settings."""
    base = api_url or DEFAULT_API_URL
    host = urlsplit(base).netloc or base
    request = AiohttpRequest(connections=1, read_timeout=seconds, connect_timeout=seconds)
    bot = Bot(token, base_url=base, request=request, get_updates_request=request)
    await request.initialize()
    try:
        try:
            me = await _within(bot.get_me(), seconds, host, token)
        except InvalidToken as exc:
            # PTB raises it for 401 (a token Telegram does not know) and for 404, which is
            # Telegram's answer to a malformed token and any server's to a wrong base URL.
            unknown = "not found" not in str(exc).lower()
            return [
                failed(
                    TELEGRAM_LOGIN,
                    f"{host} refused NEWSBOT_TELEGRAM_TOKEN (401 Unauthorized)"
                    if unknown
                    else f"{host} answered getMe with 404 Not Found",
                    "copy the bot's token from @BotFather (/mybots → API Token) into "
                    "NEWSBOT_TELEGRAM_TOKEN"
                    + ("" if unknown else "; if it is right, check NEWSBOT_TELEGRAM_API_URL"),
                ),
                skipped(TELEGRAM_WEBHOOK, "needs a token Telegram accepts"),
            ]
        except (_Unanswered, TelegramError) as exc:
            said = str(exc) if isinstance(exc, _Unanswered) else f"{host}: {exc}"
            return [
                failed(
                    TELEGRAM_LOGIN,
                    said.replace(token, "***"),
                    "check the network, or NEWSBOT_TELEGRAM_API_URL if a local Bot API "
                    "server is meant",
                ),
                skipped(TELEGRAM_WEBHOOK, "needs an answer from Telegram"),
            ]
        checks = [passed(TELEGRAM_LOGIN, f"@{me.username} (bot id {me.id})")]
        try:
            info = await _within(bot.get_webhook_info(), seconds, host, token)
        except (_Unanswered, TelegramError) as exc:
            return [
                *checks,
                failed(
                    TELEGRAM_WEBHOOK,
                    f"getWebhookInfo: {str(exc).replace(token, '***')}",
                    "run the doctor again; if it persists, check the network",
                ),
            ]
        return [*checks, webhook_check(info.url, webhook_url, info.pending_update_count)]
    finally:
        await request.shutdown()


# --- Slack --------------------------------------------------------------------------------


def scopes_check(granted: Iterable[str], needed: Iterable[str], *, readers: bool) -> Check:
    """The token's scopes against what the bot will do with it."""
    missing = sorted(set(needed) - set(granted))
    use = "delivery and readers' commands" if readers else "delivery"
    if not missing:
        return passed(SLACK_SCOPES, f"every scope {use} needs")
    return failed(
        SLACK_SCOPES,
        f"missing {', '.join(missing)} (needed for {use})",
        "add them under OAuth & Permissions → Bot Token Scopes (or update the app from "
        "`newsbot slack manifest`), then reinstall the app to the workspace",
    )


async def slack_checks(token: str, *, api_url: str, readers: bool, seconds: float) -> list[Check]:
    """The token (auth.test) and its scopes (auth.test's x-oauth-scopes header).

    ``readers``: the bot reads Slack commands too (Socket Mode or HTTP mode), which needs
    every scope of the app manifest; delivering alone needs chat:write.
    """
    host = urlsplit(api_url).netloc or api_url
    async with aiohttp.ClientSession() as session:
        client = AsyncWebClient(
            token=token,
            base_url=api_url,
            timeout=max(1, round(seconds)),
            session=session,
            retry_handlers=[],
        )
        try:
            who = await _within(client.auth_test(), seconds, host, token)
        except SlackApiError as exc:
            data = getattr(exc.response, "data", None)
            error = data.get("error") if isinstance(data, dict) else None
            if error in OPERATOR:
                return [
                    failed(
                        SLACK_LOGIN,
                        f"{host} refused NEWSBOT_SLACK_BOT_TOKEN: {error}",
                        "copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & "
                        "Permissions page into NEWSBOT_SLACK_BOT_TOKEN",
                    ),
                    skipped(SLACK_SCOPES, "needs a token Slack accepts"),
                ]
            status = getattr(exc.response, "status_code", None)
            return [
                failed(
                    SLACK_LOGIN,
                    f"{host} answered auth.test with {error or f'HTTP {status}'}",
                    "run the doctor again in a minute; if it persists, see status.slack.com",
                ),
                skipped(SLACK_SCOPES, "needs an answer from Slack"),
            ]
        except _Unanswered as exc:
            return [
                failed(SLACK_LOGIN, str(exc), "check the network, or NEWSBOT_SLACK_API_URL"),
                skipped(SLACK_SCOPES, "needs an answer from Slack"),
            ]
    checks = [passed(SLACK_LOGIN, f"team {who.get('team')} as {who.get('user')}")]
    header = who.headers.get("x-oauth-scopes") if who.headers else None
    if header is None:
        return [*checks, skipped(SLACK_SCOPES, "Slack did not say which scopes the token has")]
    granted = [s.strip() for s in str(header).split(",") if s.strip()]
    needed = SCOPES if readers else DELIVERY_SCOPES
    return [*checks, scopes_check(granted, needed, readers=readers)]


# --- the bot's own HTTP server ------------------------------------------------------------


def _bind(listen: Listen) -> None:
    """Bind and listen as aiohttp would (SO_REUSEADDR), then let go at once."""
    family, kind, proto, _, address = socket.getaddrinfo(
        listen.host or None, listen.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(address)
        probe.listen(1)


async def _newsbot_answers(listen: Listen, seconds: float) -> bool:
    """Whether what holds the address is a newsbot: its /healthz says ok."""
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(listen.host, listen.host)  # noqa: S104
    url = f"http://{f'[{host}]' if ':' in host else host}:{listen.port}/healthz"
    with contextlib.suppress(aiohttp.ClientError, TimeoutError, ValueError):
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=seconds)) as session,
            session.get(url) as response,
        ):
            body = await response.json(content_type=None)
            return response.status == 200 and isinstance(body, dict) and body.get("ok") is True
    return False


_ANY_HOST = ("", "0.0.0.0", "::")  # noqa: S104  (compared, never bound)


def _same_port(one: Listen, other: Listen) -> bool:
    """Whether two listeners on one host would want the same socket (port 0 never does)."""
    hosts = one.host == other.host or one.host in _ANY_HOST or other.host in _ANY_HOST
    return one.port == other.port != 0 and hosts


async def listen_check(address: str | None, *, seconds: float, worker: str | None = None) -> Check:
    """Whether `newsbot run` can listen where the settings say (None: it serves no HTTP),
    and whether a `newsbot worker` with the same settings (``worker``: its
    NEWSBOT_WORKER_HTTP_LISTEN) would want the same port on this host."""
    if (
        address is not None
        and worker is not None
        and _same_port(Listen.parse(address), Listen.parse(worker))
    ):
        return failed(
            HTTP_LISTEN,
            f"NEWSBOT_WORKER_HTTP_LISTEN={worker} is the port `newsbot run` listens on "
            f"({address}): a worker on this host could not start beside it",
            "give workers a port of their own (or port 0 for any free one)",
        )
    if address is None:
        return skipped(
            HTTP_LISTEN,
            "`newsbot run` serves no HTTP with these settings (no Telegram webhook, no Slack "
            "HTTP mode, no NEWSBOT_HTTP_LISTEN)",
        )
    listen = Listen.parse(address)
    try:
        _bind(listen)
    except OSError as exc:
        if await _newsbot_answers(listen, seconds):
            return passed(HTTP_LISTEN, f"{address} is in use by a running newsbot (/healthz)")
        return failed(
            HTTP_LISTEN,
            f"cannot listen on {address}: {exc.strerror or exc}",
            f"stop what holds port {listen.port} (`ss -ltnp 'sport = :{listen.port}'` shows "
            "it) or choose another NEWSBOT_HTTP_LISTEN",
        )
    return passed(HTTP_LISTEN, f"{address} is free")
