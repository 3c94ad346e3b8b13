"""What only Slack can say about its chats and people (``newsbot.conversation.ChatDirectory``),
and the reader's language.

Who administers a channel, Slack's way: the workspace's admins and owners (``users.info``:
``is_admin``, ``is_owner``, ``is_primary_owner``) and the channel's creator
(``conversations.info``: ``creator``). In a DM the reader is in charge. Answers are
remembered for a minute (a user) or ten (a channel's creator), so a busy channel costs a
call a minute per person who manages it. ``users.info`` is asked with ``include_locale`` and
the same answer gives the reader's language (Korean when Slack has none for them). Slack has
no ``@name`` channels to subscribe from elsewhere: ``inspect_channel`` answers None.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError

from newsbot.conversation import ChannelInfo
from newsbot.i18n import locale_of
from newsbot.platforms.slack import SlackPlatform

log = logging.getLogger(__name__)

USER_CACHE_SECONDS = 60.0
CHANNEL_CACHE_SECONDS = 600.0
MAX_CACHE = 10_000


class SlackDirectory:
    def __init__(self, platform: SlackPlatform) -> None:
        self.platform = platform
        self._users: dict[str, tuple[dict[str, Any] | None, float]] = {}
        self._creators: dict[str, tuple[str | None, float]] = {}

    async def user(self, user_id: str) -> dict[str, Any] | None:
        """Slack's ``user`` object (with its locale), or None when Slack would not say."""
        now = time.monotonic()
        cached = self._users.get(user_id)
        if cached is not None and now - cached[1] < USER_CACHE_SECONDS:
            return cached[0]
        try:
            answer = await self.platform.client.users_info(user=user_id, include_locale=True)
            found = answer.get("user")
            user = found if isinstance(found, dict) else None
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as problem:
            log.warning("slack: users.info for %s failed: %s", user_id, problem)
            user = None
        self._users = _pruned(self._users, now, USER_CACHE_SECONDS)
        self._users[user_id] = (user, now)
        return user

    async def locale(self, user_id: str) -> str:
        user = await self.user(user_id)
        return locale_of(str(user.get("locale") or "") if user else None)

    async def is_chat_admin(self, chat_id: str, user_id: str) -> bool:
        if chat_id.startswith("D"):
            return True  # a DM: the reader's own
        user = await self.user(user_id)
        if user and any(user.get(k) for k in ("is_admin", "is_owner", "is_primary_owner")):
            return True
        return await self._creator(chat_id) == user_id

    async def inspect_channel(self, reference: str, user_id: str) -> ChannelInfo | None:
        return None

    async def _creator(self, channel: str) -> str | None:
        now = time.monotonic()
        cached = self._creators.get(channel)
        if cached is not None and now - cached[1] < CHANNEL_CACHE_SECONDS:
            return cached[0]
        try:
            answer = await self.platform.client.conversations_info(channel=channel)
            found = answer.get("channel")
            creator = str(found.get("creator") or "") or None if isinstance(found, dict) else None
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as problem:
            log.warning("slack: conversations.info for %s failed: %s", channel, problem)
            return None
        self._creators = _pruned(self._creators, now, CHANNEL_CACHE_SECONDS)
        self._creators[channel] = (creator, now)
        return creator


def _pruned(cache: dict[str, Any], now: float, seconds: float) -> dict[str, Any]:
    if len(cache) <= MAX_CACHE:
        return cache
    return {k: v for k, v in cache.items() if now - v[1] < seconds}
