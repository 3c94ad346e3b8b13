"""Updates as Telegram builds them, for tests to hand the bot: a user's ``message``, a
``channel_post``, a ``button_press``, a ``my_chat_member`` change; queued for getUpdates
with ``push_update`` or posted to the bot's webhook with ``post_update_to``."""

from __future__ import annotations

import copy
import ipaddress
import re
import time
from urllib.parse import urlsplit

import aiohttp

from tests.fakes.telegram_api.state import TelegramState
from tests.fakes.telegram_api.wire import BOT_USER, Json, member_json, user_json

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class UpdateBuilders(TelegramState):
    def push_update(self, update: Json) -> int:
        """Queue an update for getUpdates; it gets the next update_id, which is returned."""
        self._update_id += 1
        fields = {k: v for k, v in update.items() if k != "update_id"}
        self._updates.append({"update_id": self._update_id, **fields})
        self._touch()
        return self._update_id

    def send_update(
        self,
        chat_id: int | str,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: str = "private",
        language: str = "ko",
        chat_title: str | None = None,
    ) -> int:
        """A user writes ``text`` (a channel posts it) in the chat: ``message`` + push."""
        return self.push_update(
            self.message(
                chat_id,
                text,
                user_id=user_id,
                chat_type=chat_type,
                language=language,
                chat_title=chat_title,
            )
        )

    def press_button(
        self, chat_id: int | str, message_id: int, data: str, *, user_id: int, language: str = "ko"
    ) -> int:
        """``button_press`` + push."""
        return self.push_update(
            self.button_press(chat_id, message_id, data, user_id=user_id, language=language)
        )

    def message(
        self,
        chat_id: int | str,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: str = "private",
        language: str = "ko",
        chat_title: str | None = None,
    ) -> Json:
        """An update with a message (a channel_post in channels), with a bot_command entity
        when the text starts with a Latin command as Telegram marks them (``/top``,
        ``/top@newsbot_bot``; not ``/검색``). The sender, unless named, is the chat itself in
        a private chat and user 1001 in a group."""
        chat = self._chat(chat_id, chat_type, chat_title)
        self._message_id += 1
        message: Json = {"message_id": self._message_id, "date": int(time.time()), "chat": chat}
        if chat_type == "channel":
            message["sender_chat"] = chat
        else:
            sender = user_id if user_id is not None else int(chat_id)
            if chat_type != "private" and user_id is None:
                sender = 1001
            message["from"] = self._remember_user(user_json(sender, language))
        message["text"] = text
        if command := _COMMAND.match(text):
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_length(command.group())}
            ]
        return {"channel_post" if chat_type == "channel" else "message": message}

    def channel_post(self, chat_id: int | str, text: str, *, chat_title: str | None = None) -> Json:
        return self.message(chat_id, text, chat_type="channel", chat_title=chat_title)

    def button_press(
        self, chat_id: int | str, message_id: int, data: str, *, user_id: int, language: str = "ko"
    ) -> Json:
        """An update with a callback_query from a button on the bot's message as it is now.
        A message the fake never saw comes as Telegram sends a too-old one (date 0)."""
        chat = str(chat_id)
        on = self._messages.get((chat, message_id)) or {
            "message_id": message_id,
            "date": 0,
            "chat": self._chat_json(chat),
        }
        query_id = str(len(self._queries) + 5_000_000_001)
        self._queries.add(query_id)
        return {
            "callback_query": {
                "id": query_id,
                "from": self._remember_user(user_json(user_id, language)),
                "message": copy.deepcopy(on),  # a snapshot, not the live message
                "chat_instance": str(abs(int(chat)) * 7 + 1),
                "data": data,
            }
        }

    def my_chat_member(
        self,
        chat_id: int | str,
        *,
        chat_type: str = "group",
        old_status: str,
        new_status: str,
        by_user_id: int,
        chat_title: str | None = None,
    ) -> Json:
        """The bot's own membership changed (added, promoted, removed, blocked): statuses
        "left", "member", "administrator", "kicked". getChatMember for the bot follows."""
        chat = self._chat(chat_id, chat_type, chat_title)
        key = str(chat_id)
        self._bot_status[key] = new_status
        if new_status == "administrator":
            self.bot_admin_in.add(key)
        else:
            self.bot_admin_in.discard(key)
        return {
            "my_chat_member": {
                "chat": chat,
                "from": self._remember_user(user_json(by_user_id)),
                "date": int(time.time()),
                "old_chat_member": member_json(BOT_USER, old_status),
                "new_chat_member": member_json(BOT_USER, new_status),
            }
        }

    async def post_update_to(self, url: str, update: Json, secret: str | None) -> int:
        """POST an update to the bot's webhook as Telegram would (it gets an update_id if it
        has none); the HTTP status the bot answered. Loopback URLs only."""
        if not _is_loopback(urlsplit(url).hostname or ""):
            raise ValueError(f"the fake posts to loopback only, not {url}")
        if "update_id" not in update:
            self._update_id += 1
            update = {"update_id": self._update_id, **update}
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, json=update, headers=headers) as response,
        ):
            await response.read()
            return response.status
