"""The terminal as a chat: what an operator types goes to the same Router as Telegram's
readers, and the replies print as plain text.

A line starting with ``/`` is a command; a number presses that button of the last reply
that had buttons; anything else is plain text. The console is one person's terminal, so
they run its chat (``ConsoleDirectory``); their newsroom role is whatever the store, or
``NEWSBOT_ADMINS`` (``console:<user>``), says of their console user.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator
from typing import TextIO
from zoneinfo import ZoneInfo

from newsbot.conversation import (
    ArticleCard,
    Button,
    ButtonPress,
    ChannelInfo,
    Command,
    Conversations,
    Preview,
    Reply,
)
from newsbot.delivery.outcomes import Outgoing
from newsbot.event_loop import cancel_and_wait
from newsbot.platforms.console import render

log = logging.getLogger(__name__)

PLATFORM = "console"
MAX_ARGS = 50


class ConsoleDirectory:
    async def is_chat_admin(self, chat_id: str, user_id: str) -> bool:
        return True

    async def inspect_channel(self, reference: str, user_id: str) -> ChannelInfo | None:
        return None  # the console has no channels


def render_card(card: ArticleCard) -> str:
    rank = f"{card.rank}. " if card.rank is not None else ""
    breaking = "[속보] " if card.is_breaking else ""
    meta = [card.section or "", card.published]
    if card.views is not None:
        meta.append(f"👁 {card.views:,}")
    if card.compact:
        return f"{rank}{breaking}{card.title} · " + " · ".join(m for m in meta if m)
    lines = [f"{rank}{breaking}{card.title}", "   " + " · ".join(m for m in meta if m)]
    lines.append(f"   {card.url}")
    if card.snippet:
        lines.append("   " + " ".join(card.snippet.split()))
    return "\n".join(lines)


def render_preview(preview: Preview) -> str:
    """What the console platform would print for it."""
    outgoing = Outgoing.of_preview(preview)
    text = render(outgoing, ZoneInfo(preview.zone))
    return f"{text}\n    {preview.lead}" if preview.lead else text


def render_reply(reply: Reply) -> str:
    """The reply as terminal text, its buttons numbered from 1 in the order they come."""
    blocks = [b for b in (reply.header.strip(), reply.notice.strip()) if b]
    if reply.preview is not None:
        blocks.append(render_preview(reply.preview))
    blocks += [render_card(card) for card in reply.cards]
    if reply.buttons:
        blocks.append("  ".join(f"[{n}] {b.label}" for n, b in enumerate(reply.buttons, 1)))
    if reply.toast and not blocks:
        blocks.append(f"({reply.toast})")
    return "\n\n".join(blocks)


class ConsoleFrontend:
    def __init__(
        self,
        conversations: Conversations,
        *,
        lines: AsyncIterator[str] | None = None,
        out: TextIO | None = None,
        chat_id: str = "desk",
        user_id: str = "desk",
        locale: str = "ko",
    ) -> None:
        self.conversations = conversations
        self.lines = lines
        self.out = out or sys.stdout
        self.chat_id, self.user_id, self.locale = chat_id, user_id, locale
        self._buttons: tuple[Button, ...] = ()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.lines is not None and self._task is None:
            self._task = asyncio.create_task(self._read(self.lines))

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)

    async def _read(self, lines: AsyncIterator[str]) -> None:
        async for line in lines:
            try:
                await self.say(line)
            except Exception:  # one bad line never ends the conversation
                log.exception("console: could not answer a line")

    async def say(self, line: str) -> str:
        """Answer one typed line as the chat would; the text is printed and returned."""
        text = line.strip()
        reply: Reply | None
        if text.isdigit() and self._buttons:
            reply = await self._press(int(text))
        else:
            command = self._command(text)
            if text.startswith("/"):
                reply = await self.conversations.command(command)
            else:
                reply = await self.conversations.text(command)
        if reply is None:
            return ""
        toast_only = not (reply.header or reply.notice or reply.cards or reply.preview)
        if reply.buttons or not (reply.edit or toast_only):
            # A toast leaves the message it answered as it was, buttons and all.
            self._buttons = reply.buttons
        shown = render_reply(reply)
        if shown:
            self.out.write(shown + "\n")
            self.out.flush()
        return shown

    def _command(self, text: str) -> Command:
        words = text.split()
        name = words[0][1:].lower() if words and text.startswith("/") else ""
        args = words[1:] if name else words
        return Command(
            platform=PLATFORM,
            chat_id=self.chat_id,
            user_id=self.user_id,
            name=name,
            args=tuple(args[:MAX_ARGS]),
            locale=self.locale,
            chat_kind="private",
            raw_text=text,
        )

    async def _press(self, number: int) -> Reply | None:
        if not 1 <= number <= len(self._buttons):
            return Reply(header=f"1-{len(self._buttons)}")
        button = self._buttons[number - 1]
        press = ButtonPress(
            platform=PLATFORM,
            chat_id=self.chat_id,
            user_id=self.user_id,
            token=button.token,
            locale=self.locale,
            chat_kind="private",
        )
        return await self.conversations.press(press)
