"""What the fake knows and remembers, shared by its parts: the recorded requests, the
switches that make it misbehave, what the bot told Telegram about itself, and the chats,
users, messages and updates it has seen."""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from dataclasses import dataclass, field

from tests.fakes.telegram_api.wire import Json


@dataclass
class Recorded:
    method: str
    fields: dict[str, str]


@dataclass
class TelegramState:
    requests: list[Recorded] = field(default_factory=list)
    behaviours: dict[str, deque[str]] = field(default_factory=lambda: defaultdict(deque))
    blocked: set[str] = field(default_factory=set)
    migrated: dict[str, int] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)
    flood_every: int = 0  # every Nth sendMessage gets a 429 (a storm)
    down: bool = False  # Telegram's outage: every sendMessage gets 502 Bad Gateway
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
    deleted: list[tuple[str, int]] = field(default_factory=list)  # (chat, message id)
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

    def _touch(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

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
