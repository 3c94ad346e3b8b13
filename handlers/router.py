"""One entry point for every platform: route a command or button, never fail the reader.

The router answers in the chat's own language when the chat chose one (``/settings``), else
in the reader's; limits expensive commands per user; turns unknown commands and stray
private messages into a short hint; and turns any failure into a one-line apology while the
log gets the details (platform, chat, user, command; never tokens or the reader's text).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.chats import ChatHandlers
from handlers.reader import ReaderHandlers
from handlers.replies import ButtonPress, Command, Reply
from newsbot.i18n import t
from newsbot.store.delivery_models import Chat

log = logging.getLogger(__name__)

# Commands that cost real work per call, and how many each user may send per window.
EXPENSIVE = frozenset({"search", "s", "검색"})


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
    sessions: async_sessionmaker[AsyncSession]
    reader: ReaderHandlers
    chats: ChatHandlers
    limit: RateLimit = field(default_factory=RateLimit)

    async def command(self, command: Command) -> Reply | None:
        """The reply to a command; None when there is nothing to say (a group's stray text)."""
        try:
            command = dataclasses.replace(command, locale=await self._locale(command))
            if command.name in EXPENSIVE:
                wait = self.limit.wait(f"{command.platform}:{command.user_id}")
                if wait:
                    seconds = math.ceil(wait)
                    return Reply(header=t(command.locale, "limit.slow_down", seconds=seconds))
            reply = await self.reader.handle(command) or await self.chats.handle(command)
        except Exception:
            log.exception(
                "command failed: platform=%s chat=%s user=%s command=%s",
                command.platform,
                command.chat_id,
                command.user_id,
                command.name,
            )
            return Reply(header=t(command.locale, "error.apology"))
        if reply is None:
            return Reply(header=t(command.locale, "hint.unknown"))
        return reply

    async def text(self, command: Command) -> Reply | None:
        """Plain text (no command): a hint in a private chat, silence in a group."""
        if command.chat_kind != "private":
            return None
        return Reply(header=t(await self._locale(command), "hint.private"))

    async def press(self, press: ButtonPress) -> Reply | None:
        try:
            locale = await self._locale(press)
            press = dataclasses.replace(press, locale=locale)
            return await self.reader.press(press) or await self.chats.press(press)
        except Exception:
            log.exception(
                "button failed: platform=%s chat=%s user=%s token=%s",
                press.platform,
                press.chat_id,
                press.user_id,
                press.token.partition(":")[0],
            )
            return Reply(toast=t(press.locale, "error.apology"))

    async def _locale(self, request: Command | ButtonPress) -> str:
        """The chat's chosen language if it has a record here, else the reader's."""
        try:
            async with self.sessions() as session:
                language = await session.scalar(
                    select(Chat.language).where(
                        Chat.platform == request.platform,
                        Chat.platform_chat_id == request.chat_id,
                    )
                )
        except Exception:
            log.exception("could not read the chat's language; using the reader's")
            return request.locale
        return language or request.locale
