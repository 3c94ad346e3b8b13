"""What tests assert on: the bot's successful sends, its messages as they are now, the
commands it set, and ``wait_for`` to wait for the bot without sleeping."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Self, TypeVar

from tests.fakes.telegram_api.state import TelegramState
from tests.fakes.telegram_api.wire import Json, decoded

T = TypeVar("T")


class Assertions(TelegramState):
    def delivered(self, chat: str | None = None) -> list[dict[str, str]]:
        """Successful sendMessage requests, fields as the client sent them (strings; JSON
        for objects) plus the fake's marks ``_ok`` and ``_message_id``."""
        return [
            r.fields
            for r in self.requests
            if r.method == "sendMessage"
            and r.fields.get("_ok") == "1"
            and (chat is None or r.fields["chat_id"] == chat)
        ]

    def sent_to(self, chat_id: int | str) -> list[Json]:
        """Successful sendMessage requests to one chat, with ``reply_markup`` (and any other
        JSON-encoded field) decoded and the ``message_id`` Telegram gave the message."""
        sent = []
        for fields in self.delivered(str(chat_id)):
            message: Json = {k: v for k, v in fields.items() if k not in ("_ok", "_message_id")}
            for name in ("reply_markup", "link_preview_options", "reply_parameters"):
                if name in message:
                    message[name] = decoded(message[name])
            message["message_id"] = int(fields["_message_id"])
            sent.append(message)
        return sent

    def last_message(self, chat_id: int | str, message_id: int | None = None) -> Json:
        """The bot's message as it is now, after edits (the newest one unless named)."""
        chat = str(chat_id)
        if message_id is None:
            ids = [mid for (c, mid) in self._messages if c == chat]
            if not ids:
                raise LookupError(f"the bot has no message in chat {chat}")
            message_id = max(ids)
        return self._messages[(chat, message_id)]

    def buttons(self, chat_id: int | str, message_id: int | None = None) -> list[tuple[str, str]]:
        """(label, callback_data) of the inline keyboard, row by row; a URL button gives its
        url instead."""
        markup = self.last_message(chat_id, message_id).get("reply_markup") or {}
        return [
            (button["text"], button.get("callback_data", button.get("url", "")))
            for row in markup.get("inline_keyboard", [])
            for button in row
        ]

    def commands_for(
        self, language: str | None = None, scope: str = "default"
    ) -> list[tuple[str, str]]:
        """(command, description) set by setMyCommands for this scope type and language."""
        return self.commands.get((scope, language), [])

    def calls(self, method: str) -> list[dict[str, str]]:
        return [r.fields for r in self.requests if r.method == method]

    @property
    def polling(self) -> bool:
        """Whether a getUpdates long poll is waiting right now (the bot is listening)."""
        return self._polls > 0

    async def wait_for(
        self,
        predicate: Callable[[Self], T],
        timeout: float = 5.0,  # noqa: ASYNC109  (a test's patience, not a cancellation scope)
    ) -> T:
        """Until ``predicate(self)`` is truthy, which it returns; fails the test after
        ``timeout`` seconds, listing the last requests."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not (result := predicate(self)):
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = [(r.method, r.fields) for r in self.requests[-5:]]
                raise AssertionError(f"timed out after {timeout} s; last requests: {recent}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.05))
        return result
