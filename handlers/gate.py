"""The one permission gate: does this user hold the role this command or button needs?

Chat roles are the platform's to say (its ``ChatDirectory``); in a private chat the reader
is always in charge of it, so the platform is not asked. Newsroom roles (editor, admin)
are stored (``newsbot.store.staff``) or bootstrapped from ``NEWSBOT_ADMINS``. A refusal is a
short message in the reader's language naming who may, and changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from newsbot.conversation import ButtonPress, ChatDirectory, Command
from newsbot.i18n import has, t
from newsbot.roles import Role, grants
from newsbot.store.staff import newsroom_role

log = logging.getLogger(__name__)

REFUSALS = {
    Role.CHAT_ADMIN: "chat.admins_only",
    Role.EDITOR: "role.editors_only",
    Role.ADMIN: "role.admins_only",
}


@dataclass(slots=True)
class Gate:
    sessions: async_sessionmaker[AsyncSession]
    directories: Mapping[str, ChatDirectory]
    admins: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    async def allows(self, needed: Role, request: Command | ButtonPress) -> bool:
        if needed is Role.READER:
            return True
        if needed is Role.CHAT_ADMIN:
            return await self._is_chat_admin(request)
        return grants(await self.newsroom_role(request.platform, request.user_id), needed)

    async def newsroom_role(self, platform: str, user_id: str) -> Role | None:
        if (platform, user_id) in self.admins:
            return Role.ADMIN
        async with self.sessions() as session:
            return await newsroom_role(session, platform, user_id)

    async def _is_chat_admin(self, request: Command | ButtonPress) -> bool:
        if request.chat_kind == "private":
            return True
        directory = self.directories.get(request.platform)
        if directory is None:
            log.warning("no directory for %s: chat admin refused", request.platform)
            return False
        return await directory.is_chat_admin(request.chat_id, request.user_id)

    @staticmethod
    def refusal(needed: Role, locale: str, platform: str | None = None) -> str:
        """The polite no, saying who can; a platform whose chats are run differently (Slack:
        workspace admins and the channel's creator) may have its own wording."""
        key = REFUSALS.get(needed, "role.admins_only")
        if platform and has(locale, f"{key}.{platform}"):
            key = f"{key}.{platform}"
        return t(locale, key)
