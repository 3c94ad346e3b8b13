"""What only Telegram can say about its chats: who administers a group, and which channel
``@name`` is (``newsbot.conversation.ChatDirectory``).

Administrators are asked of Telegram (getChatMember) and remembered for a minute, so a busy
group costs one call a minute per member who manages it, not one per command. A message an
anonymous administrator posts comes from the group itself; the update parser gives it the
group's id as its user, which is how it is recognised here.
"""

from __future__ import annotations

import logging
import re
import time

from telegram import ChatMember
from telegram.error import TelegramError

from newsbot.conversation import ChannelInfo
from newsbot.platforms.telegram import TelegramPlatform

log = logging.getLogger(__name__)

ADMIN_STATUSES = frozenset({ChatMember.ADMINISTRATOR, ChatMember.OWNER})
ADMIN_CACHE_SECONDS = 60.0
MAX_ADMIN_CACHE = 10_000
_TME = re.compile(r"^(?:https?://)?(?:www\.)?(?:t|telegram)\.me/", re.I)


class TelegramDirectory:
    def __init__(self, platform: TelegramPlatform) -> None:
        self.platform = platform
        self._admins: dict[tuple[int, int], tuple[bool, float]] = {}

    async def is_chat_admin(self, chat_id: str, user_id: str) -> bool:
        if user_id == chat_id:
            return True  # an anonymous administrator posts as the group itself
        try:
            chat, user = int(chat_id), int(user_id)
        except ValueError:
            return False
        key = (chat, user)
        cached = self._admins.get(key)
        now = time.monotonic()
        if cached is not None and now - cached[1] < ADMIN_CACHE_SECONDS:
            return cached[0]
        try:
            member = await self.platform.bot.get_chat_member(chat, user)
        except TelegramError as problem:
            log.warning("telegram: could not check admins of chat=%s: %s", chat_id, problem)
            return False
        allowed = member.status in ADMIN_STATUSES
        if len(self._admins) > MAX_ADMIN_CACHE:  # forget the stale answers now and then
            self._admins = {
                k: v for k, v in self._admins.items() if now - v[1] < ADMIN_CACHE_SECONDS
            }
        self._admins[key] = (allowed, now)
        return allowed

    async def inspect_channel(self, reference: str, user_id: str) -> ChannelInfo | None:
        bot = self.platform.bot
        reference = _TME.sub("", reference).rstrip("/")  # t.me/name, https://t.me/name
        target: str | int = reference if reference.startswith("@") else "@" + reference
        if reference.lstrip("-").isdigit():
            target = int(reference)
        try:
            chat = await bot.get_chat(target)
        except TelegramError:
            return None
        if chat.type != "channel":
            return None
        return ChannelInfo(
            chat_id=str(chat.id),
            title=chat.title,
            bot_is_admin=await self._status_is_admin(chat.id, bot.id),
            user_is_admin=await self._status_is_admin(chat.id, int(user_id)),
        )

    async def _status_is_admin(self, chat_id: int, user_id: int) -> bool:
        try:
            member = await self.platform.bot.get_chat_member(chat_id, user_id)
        except TelegramError:
            return False  # not a member, or the bot may not look: not an admin either way
        return member.status in ADMIN_STATUSES
