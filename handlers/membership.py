"""A chat's first and last contact: /start, the bot added to a group, the bot removed."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.common import chat_of, subscribe_buttons
from handlers.context import HandlerContext
from newsbot.conversation import Command, Reply
from newsbot.delivery.subscriptions import ChatRef, deactivate_chat
from newsbot.i18n import t
from newsbot.store.sections import popular_sections

SECTION_BUTTONS = 6


@dataclass(slots=True)
class Membership:
    context: HandlerContext

    async def start(self, command: Command) -> Reply:
        async with self.context.sessions() as session:
            await chat_of(self.context, session, command)
            sections = await popular_sections(session, SECTION_BUTTONS)
            await session.commit()
        return Reply(
            header=t(command.locale, "start.welcome"),
            notice=t(command.locale, "start.how"),
            buttons=subscribe_buttons(command.locale, sections),
        )

    async def joined(self, command: Command) -> Reply:
        """The bot was added to a group: greet once, and remember the group."""
        async with self.context.sessions() as session:
            await chat_of(self.context, session, command)
            await session.commit()
        return Reply(header=t(command.locale, "group.welcome"))

    async def left(self, platform: str, chat_id: str, reason: str) -> None:
        """The bot was removed from a chat: stop sending there (a later /start revives it)."""
        async with self.context.sessions() as session:
            if await deactivate_chat(
                session, ChatRef(platform, chat_id), reason, now=self.context.clock.now()
            ):
                await session.commit()
