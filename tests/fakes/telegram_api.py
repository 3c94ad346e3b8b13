"""A fake Telegram Bot API on loopback for the real python-telegram-bot client.

It answers the methods a news bot uses the way the Bot API does (form- or JSON-encoded
requests, JSON replies with ok/result or ok/error_code/description/parameters), records every
request whole, and can be told to misbehave: 429 with retry_after, 5xx, slow answers, blocked
users, chats that migrated to a supergroup, chats that do not exist.

Delivery side: getMe, sendMessage (``delivered()`` lists the successful ones).

Reader side: tests push updates built like Telegram's (``message``, ``button_press``,
``my_chat_member``, ``channel_post``) with ``push_update``; the bot receives them by long
polling ``getUpdates``, or a test posts them to the bot's own webhook with
``post_update_to``. The bot answers with sendMessage, editMessageText,
editMessageReplyMarkup, deleteMessage, answerCallbackQuery, and looks around with
getChatMember and getChat; on start it calls setMyCommands, setMyDescription,
setMyShortDescription, deleteWebhook or setWebhook. The fake keeps each message the bot sent
as it is now (after edits), so tests assert on ``sent_to``, ``last_message`` and ``buttons``
and wait for the bot with ``wait_for``.

Errors it gives, as the real API words them:

    401 Unauthorized                                 wrong token
    404 Not Found                                    a method the fake does not know
    409 Conflict: can't use getUpdates method ...    getUpdates while a webhook is set
    400 Bad Request: chat not found                  a chat in ``missing``
    400 Bad Request: message to edit not found       editing a message the bot never sent
    400 Bad Request: message is not modified: ...    an edit that changes nothing
    400 Bad Request: message to delete not found     deleting twice
    400 Bad Request: query is too old ...            answering a query the fake never issued
    sendMessage only: 429, 502 and slow (``then``, ``flood_every``), 403 blocked, 400 migrated

The fake does not parse HTML: a message's ``text`` is kept as the bot sent it.
(PTB raises these with "Bad Request: " cut and the first letter capitalised: match
"Message is not modified", not "message is not modified".)
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import ipaddress
import json
import re
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

import aiohttp
import pytest
from aiohttp import web

TOKEN = "123456:TEST-token"
BOT_ID = 123456
BOT_USER: dict[str, Any] = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": "newsbot",
    "username": "newsbot_bot",
}
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")
_ADMIN_RIGHTS = (  # the booleans PTB 22's ChatMemberAdministrator requires, then optional ones
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
)
T = TypeVar("T")
Json = dict[str, Any]


@dataclass
class Recorded:
    method: str
    fields: dict[str, str]


def _error(code: int, description: str, **parameters: Any) -> web.Response:
    body: Json = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _decoded(value: str | None) -> Any:
    """A JSON-serialized parameter (reply_markup, commands, scope…) as Python data."""
    return json.loads(value) if value else None


def _user(user_id: int, language: str | None = "ko") -> Json:
    user: Json = {
        "id": user_id,
        "is_bot": False,
        "first_name": f"독자{user_id}",
        "username": f"reader{user_id}",
    }
    if language:
        user["language_code"] = language
    return user


def _member(user: Json, status: str) -> Json:
    """ChatMember JSON that PTB parses into the subclass for ``status``."""
    member: Json = {"user": user, "status": status}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member |= {"can_be_edited": False, "is_anonymous": False}
        member |= dict.fromkeys(_ADMIN_RIGHTS, True)
    elif status == "kicked":
        member["until_date"] = 0  # banned for ever
    return member


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
    # getChatMember: the users who administer a chat, the chat's creator, where the bot is admin
    admins: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    creators: dict[str, int] = field(default_factory=dict)
    bot_admin_in: set[str] = field(default_factory=set)
    # what the bot told Telegram about itself
    commands: dict[tuple[str, str | None], list[tuple[str, str]]] = field(default_factory=dict)
    descriptions: dict[str | None, str] = field(default_factory=dict)
    short_descriptions: dict[str | None, str] = field(default_factory=dict)
    webhook_url: str = ""
    webhook_secret: str | None = None
    allowed_updates: list[str] | None = None
    _message_id: int = 0
    _sends: int = 0
    _update_id: int = 100
    _updates: list[Json] = field(default_factory=list)
    _messages: dict[tuple[str, int], Json] = field(default_factory=dict)
    _chats: dict[str, Json] = field(default_factory=dict)
    _users: dict[int, Json] = field(default_factory=dict)
    _bot_status: dict[str, str] = field(default_factory=dict)
    _queries: set[str] = field(default_factory=set)
    _polls: int = 0
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def then(self, chat: str, *behaviours: str) -> None:
        """The next sendMessage requests to this chat: "429", "502", "slow", then normal
        service."""
        self.behaviours[chat].extend(behaviours)

    # --- assertions ---------------------------------------------------------------------

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
            decoded: Json = {k: v for k, v in fields.items() if k not in ("_ok", "_message_id")}
            for name in ("reply_markup", "link_preview_options", "reply_parameters"):
                if name in decoded:
                    decoded[name] = _decoded(decoded[name])
            decoded["message_id"] = int(fields["_message_id"])
            sent.append(decoded)
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
        predicate: Callable[[FakeTelegram], T],
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

    def _touch(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    # --- updates --------------------------------------------------------------------------

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
            message["from"] = self._remember_user(_user(sender, language))
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
                "from": self._remember_user(_user(user_id, language)),
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
                "from": self._remember_user(_user(by_user_id)),
                "date": int(time.time()),
                "old_chat_member": _member(BOT_USER, old_status),
                "new_chat_member": _member(BOT_USER, new_status),
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

    def _chat(self, chat_id: int | str, chat_type: str, title: str | None) -> Json:
        """The chat as Telegram describes it, remembered for sendMessage and getChat; a title
        given once stays."""
        chat: Json = {"id": int(chat_id), "type": chat_type}
        if chat_type == "private":
            chat |= {"first_name": f"독자{chat_id}", "username": f"reader{chat_id}"}
        else:
            chat["title"] = title or self._chats.get(str(chat_id), {}).get("title") or "뉴스 모임"
        self._chats[str(chat_id)] = chat
        return chat

    def _chat_json(self, chat: str) -> Json:
        """A chat the tests introduced, else one inferred from its id as Telegram numbers
        them (users positive, groups negative, supergroups and channels -100…)."""
        if known := self._chats.get(chat):
            return known
        kind = "private" if not chat.startswith("-") else "group"
        if chat.startswith("-100"):
            kind = "supergroup"
        return {"id": int(chat), "type": kind}

    def _remember_user(self, user: Json) -> Json:
        self._users[user["id"]] = user
        return user

    # --- the HTTP side ----------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        token, method = request.match_info["token"], request.match_info["method"]
        if request.content_type == "application/json":
            payload = await request.json() if request.can_read_body else {}
            fields = {k: v if isinstance(v, str) else json.dumps(v) for k, v in payload.items()}
        else:
            form = await request.post()
            fields = {k: str(v) for k, v in form.items()}
        record = Recorded(method, fields)
        self.requests.append(record)
        try:
            if token != TOKEN:
                return _error(401, "Unauthorized")
            if method == "sendMessage":
                return await self._send(fields, record)
            if method == "getUpdates":
                return await self._get_updates(fields)
            answer = self._METHODS.get(method)
            if answer is None:
                return _error(404, "Not Found")
            return answer(self, fields)
        finally:
            self._touch()

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
        if chat in self.missing or not chat.lstrip("-").isdigit():
            return _error(400, "Bad Request: chat not found")
        self._message_id += 1
        record.fields["_ok"] = "1"
        record.fields["_message_id"] = str(self._message_id)
        message: Json = {
            "message_id": self._message_id,
            "from": BOT_USER,
            "date": int(time.time()),
            "chat": self._chat_json(chat),
            "text": fields.get("text", ""),
        }
        if markup := _decoded(fields.get("reply_markup")):
            message["reply_markup"] = markup
        self._messages[(chat, self._message_id)] = message
        return _ok(message)

    async def _get_updates(self, fields: dict[str, str]) -> web.StreamResponse:
        if self.webhook_url:
            return _error(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if "allowed_updates" in fields:
            self.allowed_updates = _decoded(fields["allowed_updates"])
        offset = int(fields.get("offset") or 0)
        limit = min(max(int(fields.get("limit") or 100), 1), 100)
        timeout = max(float(fields.get("timeout") or 0), 0.0)
        if offset > 0:  # updates below the offset are confirmed: gone for good
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:  # the last -offset updates; all earlier ones are forgotten
            self._updates = self._updates[offset:]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self._polls += 1
        self._touch()
        try:
            while not self._updates and (remaining := deadline - loop.time()) > 0:
                changed = self._changed
                try:
                    await asyncio.wait_for(changed.wait(), remaining)
                except TimeoutError:
                    break
        finally:
            self._polls -= 1
        return _ok(self._updates[:limit])

    def _edit(self, fields: dict[str, str], *, text: bool) -> web.Response:
        chat = fields.get("chat_id", "")
        if chat in self.missing:
            return _error(400, "Bad Request: chat not found")
        key = (chat, int(fields.get("message_id") or 0))
        current = self._messages.get(key)
        if current is None:
            return _error(400, "Bad Request: message to edit not found")
        new_text = fields.get("text", "") if text else current["text"]
        # Telegram drops the inline keyboard of an edit that does not repeat it
        new_markup = _decoded(fields.get("reply_markup"))
        if new_text == current["text"] and new_markup == current.get("reply_markup"):
            return _error(400, NOT_MODIFIED)
        edited = {k: v for k, v in current.items() if k != "reply_markup"}
        edited |= {"text": new_text, "edit_date": int(time.time())}
        if new_markup:
            edited["reply_markup"] = new_markup
        self._messages[key] = edited
        return _ok(edited)

    def _edit_text(self, fields: dict[str, str]) -> web.Response:
        return self._edit(fields, text=True)

    def _edit_markup(self, fields: dict[str, str]) -> web.Response:
        return self._edit(fields, text=False)

    def _delete(self, fields: dict[str, str]) -> web.Response:
        key = (fields.get("chat_id", ""), int(fields.get("message_id") or 0))
        if self._messages.pop(key, None) is None:
            return _error(400, "Bad Request: message to delete not found")
        return _ok(True)

    def _answer_query(self, fields: dict[str, str]) -> web.Response:
        if fields.get("callback_query_id") not in self._queries:
            return _error(400, QUERY_TOO_OLD)
        return _ok(True)

    def _get_me(self, fields: dict[str, str]) -> web.Response:
        return _ok(BOT_USER)

    def _get_chat_member(self, fields: dict[str, str]) -> web.Response:
        chat, user_id = fields.get("chat_id", ""), int(fields.get("user_id") or 0)
        if chat in self.missing:
            return _error(400, "Bad Request: chat not found")
        if user_id == BOT_ID:
            status = self._bot_status.get(chat, "member")
            status = "administrator" if chat in self.bot_admin_in else status
            return _ok(_member(BOT_USER, status))
        user = self._users.get(user_id) or _user(user_id, None)
        if self.creators.get(chat) == user_id:
            return _ok(_member(user, "creator"))
        if user_id in self.admins.get(chat, ()):
            return _ok(_member(user, "administrator"))
        return _ok(_member(user, "member"))

    def _get_chat(self, fields: dict[str, str]) -> web.Response:
        chat = fields.get("chat_id", "")
        if chat in self.missing or not chat.lstrip("-").isdigit():
            return _error(400, "Bad Request: chat not found")
        gifts = ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription")
        return _ok(
            self._chat_json(chat)
            | {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": dict.fromkeys((*gifts, "gifts_from_channels"), False),
            }
        )

    @staticmethod
    def _scope(fields: dict[str, str]) -> str:
        scope = _decoded(fields.get("scope")) or {"type": "default"}
        return str(scope["type"]) + (f":{scope['chat_id']}" if "chat_id" in scope else "")

    def _set_commands(self, fields: dict[str, str]) -> web.Response:
        key = (self._scope(fields), fields.get("language_code") or None)
        self.commands[key] = [
            (c["command"], c["description"]) for c in _decoded(fields.get("commands")) or []
        ]
        return _ok(True)

    def _get_commands(self, fields: dict[str, str]) -> web.Response:
        key = (self._scope(fields), fields.get("language_code") or None)
        return _ok([{"command": c, "description": d} for c, d in self.commands.get(key, [])])

    def _delete_commands(self, fields: dict[str, str]) -> web.Response:
        self.commands.pop((self._scope(fields), fields.get("language_code") or None), None)
        return _ok(True)

    def _set_description(self, fields: dict[str, str]) -> web.Response:
        self.descriptions[fields.get("language_code") or None] = fields.get("description", "")
        return _ok(True)

    def _set_short_description(self, fields: dict[str, str]) -> web.Response:
        language = fields.get("language_code") or None
        self.short_descriptions[language] = fields.get("short_description", "")
        return _ok(True)

    def _drop_pending(self, fields: dict[str, str]) -> None:
        if fields.get("drop_pending_updates") == "true":
            self._updates.clear()

    def _set_webhook(self, fields: dict[str, str]) -> web.Response:
        self._drop_pending(fields)
        self.webhook_url = fields.get("url", "")
        self.webhook_secret = fields.get("secret_token") or None
        if "allowed_updates" in fields:
            self.allowed_updates = _decoded(fields["allowed_updates"])
        return _ok(True)

    def _delete_webhook(self, fields: dict[str, str]) -> web.Response:
        self._drop_pending(fields)
        self.webhook_url, self.webhook_secret = "", None
        return _ok(True)

    def _webhook_info(self, fields: dict[str, str]) -> web.Response:
        info: Json = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.allowed_updates is not None:
            info["allowed_updates"] = self.allowed_updates
        return _ok(info)

    _METHODS: ClassVar[dict[str, Callable[[FakeTelegram, dict[str, str]], web.Response]]] = {
        "getMe": _get_me,
        "editMessageText": _edit_text,
        "editMessageReplyMarkup": _edit_markup,
        "deleteMessage": _delete,
        "answerCallbackQuery": _answer_query,
        "getChatMember": _get_chat_member,
        "getChat": _get_chat,
        "setMyCommands": _set_commands,
        "getMyCommands": _get_commands,
        "deleteMyCommands": _delete_commands,
        "setMyDescription": _set_description,
        "setMyShortDescription": _set_short_description,
        "setWebhook": _set_webhook,
        "deleteWebhook": _delete_webhook,
        "getWebhookInfo": _webhook_info,
    }


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
