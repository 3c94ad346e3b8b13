"""One entry point for every platform: find the command, check the role, never fail the reader.

The router answers in the chat's own language when the chat chose one (``/settings``), else
in the reader's; looks the command or button up in the registry; lets the gate refuse what
the user's role does not allow; limits rate-limited commands per user; turns unknown
commands and stray private messages into a short hint; and turns any failure into a
one-line apology while the log gets the details (platform, chat, user, command; never
tokens or the reader's text).

How long each command and button took is reported to ``telemetry`` under the registry's
canonical name (``search`` whether typed /search or /검색; ``button:<prefix>``), never the
words typed: the metric's labels stay a short, fixed list.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from handlers.context import HandlerContext
from handlers.gate import Gate
from handlers.membership import Membership
from handlers.registry import Registry
from newsbot.conversation import ButtonPress, Command, MenuEntry, Reply
from newsbot.delivery.subscriptions import ChatRef, chat_language
from newsbot.i18n import t
from newsbot.roles import Role
from newsbot.store.audit import record
from newsbot.telemetry import NO_TELEMETRY, Telemetry

log = logging.getLogger(__name__)


@dataclass(slots=True)
class RateLimit:
    """At most ``calls`` per ``seconds`` per user (a sliding window, in memory)."""

    calls: int = 10
    seconds: float = 60.0
    monotonic: Callable[[], float] = time.monotonic
    _seen: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def wait(self, user: str) -> float:
        """0 when the user may go ahead (and counts the call); else seconds to wait."""
        now = self.monotonic()
        seen = self._seen[user]
        while seen and seen[0] <= now - self.seconds:
            seen.popleft()
        if len(seen) >= self.calls:
            return seen[0] + self.seconds - now
        seen.append(now)
        if len(self._seen) > 10_000:  # forget idle users now and then
            for key in [k for k, v in self._seen.items() if not v]:
                del self._seen[key]
        return 0.0


@dataclass(slots=True)
class Router:
    """``newsbot.conversation.Conversations`` for every platform's frontend."""

    context: HandlerContext
    registry: Registry
    gate: Gate
    membership: Membership
    limit: RateLimit = field(default_factory=RateLimit)
    # An editor's exchange in progress takes their plain text (``handlers.editor``).
    drafts: Callable[[Command], Awaitable[Reply | None]] | None = None
    telemetry: Telemetry = NO_TELEMETRY
    perf_counter: Callable[[], float] = time.perf_counter

    async def command(self, command: Command) -> Reply | None:
        """The reply to a command; None when there is nothing to say."""
        started = self.perf_counter()
        spec = self.registry.command(command.name)
        try:
            return await self._command(command)
        finally:
            if spec is not None:
                self.telemetry.command_took(spec.name, self.perf_counter() - started)

    async def _command(self, command: Command) -> Reply | None:
        try:
            command = dataclasses.replace(command, locale=await self._locale(command))
            spec = self.registry.command(command.name)
            if spec is None:
                return Reply(header=t(command.locale, "hint.unknown"))
            needed = spec.role_for(command)
            if not await self.gate.allows(needed, command):
                await self._audit_refusal(needed, command, f"/{spec.name}")
                return Reply(header=self.gate.refusal(needed, command.locale, command.platform))
            if spec.rate_limited:
                wait = self.limit.wait(f"{command.platform}:{command.user_id}")
                if wait:
                    seconds = math.ceil(wait)
                    return Reply(header=t(command.locale, "limit.slow_down", seconds=seconds))
            return await spec.handler(command)
        except Exception:
            _log_failure("command", command, command.name)
            return Reply(header=t(command.locale, "error.apology"))

    async def text(self, command: Command) -> Reply | None:
        """Plain text (no command): an editor's answer to their open exchange; else, in a
        private chat, what the reader wants to find, so it is searched (a search's role and
        rate limit apply); a group's talk is not for us."""
        if command.chat_kind != "private":
            return None
        command = dataclasses.replace(command, locale=await self._locale(command))
        if self.drafts is not None:
            try:
                if await self.gate.allows(Role.EDITOR, command):
                    reply = await self.drafts(command)
                    if reply is not None:
                        return reply
            except Exception:
                _log_failure("command", command, "draft")
                return Reply(header=t(command.locale, "error.apology"))
        if not command.args:
            return Reply(header=t(command.locale, "hint.private"))
        return await self.command(dataclasses.replace(command, name="search"))

    async def press(self, press: ButtonPress) -> Reply | None:
        started = self.perf_counter()
        spec = self.registry.button(press.token)
        try:
            return await self._press(press)
        finally:
            if spec is not None:
                name = f"button:{spec.prefix}"
                self.telemetry.command_took(name, self.perf_counter() - started)

    async def _press(self, press: ButtonPress) -> Reply | None:
        try:
            press = dataclasses.replace(press, locale=await self._locale(press))
            spec = self.registry.button(press.token)
            if spec is None:
                return Reply(toast=t(press.locale, "button.stale"))
            if not await self.gate.allows(spec.role, press):
                await self._audit_refusal(spec.role, press, f"button {spec.prefix}")
                return Reply(toast=self.gate.refusal(spec.role, press.locale, press.platform))
            return await spec.handler(press)
        except Exception:
            _log_failure("button", press, press.token.partition(":")[0])
            return Reply(toast=t(press.locale, "error.apology"))

    async def joined(self, command: Command) -> Reply | None:
        try:
            return await self.membership.joined(command)
        except Exception:
            log.exception("greeting chat=%s on %s failed", command.chat_id, command.platform)
            return None

    async def left(self, platform: str, chat_id: str, reason: str) -> None:
        await self.membership.left(platform, chat_id, reason)

    def menu(self, locale: str) -> list[MenuEntry]:
        return self.registry.menu(locale)

    def command_name(self, word: str) -> str | None:
        spec = self.registry.command(word)
        return spec.name if spec is not None else None

    async def _audit_refusal(
        self, needed: Role, request: Command | ButtonPress, action: str
    ) -> None:
        """A refused attempt at a newsroom command goes to the audit trail (who, what,
        when); a reader refused a chat admin's command is no newsroom business."""
        if not needed.is_newsroom:
            return
        try:
            async with self.context.sessions() as session:
                record(
                    session,
                    at=self.context.clock.now(),
                    platform=request.platform,
                    user_id=request.user_id,
                    action=action,
                    outcome="refused",
                    detail=f"needs {needed.value}; chat {request.chat_id}",
                )
                await session.commit()
        except Exception:  # the refusal stands whether or not it could be written down
            log.exception("could not audit a refused %s", action)

    async def _locale(self, request: Command | ButtonPress) -> str:
        """The chat's chosen language if it has a record here, else the reader's."""
        try:
            async with self.context.sessions() as session:
                language = await chat_language(session, ChatRef(request.platform, request.chat_id))
        except Exception:
            log.exception("could not read the chat's language; using the reader's")
            return request.locale
        return language or request.locale


def _log_failure(what: str, request: Command | ButtonPress, name: str) -> None:
    """The details of a failure, for the operator: who and what, never the reader's text."""
    log.exception(
        "%s failed: platform=%s chat=%s user=%s %s=%s",
        what,
        request.platform,
        request.chat_id,
        request.user_id,
        "command" if what == "command" else "token",
        name,
    )
