"""/channel: a channel cannot talk to the bot, so its administrator subscribes it from a
private chat, once the platform confirms both the reader and the bot administer it."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.common import label, wanted
from handlers.context import HandlerContext
from handlers.subscriptions import Subscriptions
from newsbot.conversation import Command, Reply
from newsbot.delivery.subscriptions import (
    ChatRef,
    get_or_create_chat,
    subscriptions_of,
    unsubscribe,
)
from newsbot.i18n import t
from newsbot.store.delivery_models import ChatKind
from newsbot.store.sections import all_sections

STOP_WORDS = frozenset({"stop", "off", "중지", "해지"})


@dataclass(slots=True)
class Channels:
    context: HandlerContext
    subscriptions: Subscriptions

    async def channel(self, command: Command) -> Reply:
        """``/channel @name [all | sections | keywords | stop]`` from a private chat."""
        directory = self.context.directories.get(command.platform)
        if command.chat_kind != ChatKind.PRIVATE.value or directory is None:
            return Reply(header=t(command.locale, "channel.private_only"))
        if not command.args:
            return Reply(header=t(command.locale, "channel.usage"))
        reference, wanted_args = command.args[0], command.args[1:]
        info = await directory.inspect_channel(reference, command.user_id)
        if info is None:
            return Reply(header=t(command.locale, "channel.unknown", channel=reference[:64]))
        if not info.user_is_admin:
            return Reply(header=t(command.locale, "channel.not_your_admin", channel=reference))
        if not info.bot_is_admin:
            return Reply(header=t(command.locale, "channel.bot_not_admin", channel=reference))
        title = info.title or reference
        async with self.context.sessions() as session:
            chat = await get_or_create_chat(
                session,
                ChatRef(command.platform, info.chat_id),
                kind=ChatKind.CHANNEL,
                now=self.context.clock.now(),
                title=info.title,
                language=command.locale,
            )
            if not wanted_args:  # "/channel @name" alone: what it gets, and how to change it
                shown = await subscriptions_of(session, chat)
                await session.commit()
                change = t(command.locale, "channel.change", reference=reference)
                if not shown:
                    return Reply(
                        header=t(command.locale, "channel.none", channel=title), notice=change
                    )
                lines = "\n".join("• " + label(s, command.locale) for s in shown)
                return Reply(
                    header=t(command.locale, "channel.shows", channel=title, count=len(shown)),
                    notice=lines + "\n\n" + change,
                )
            if {a.lower() for a in wanted_args} & STOP_WORDS:
                removed = await unsubscribe(session, chat)
                await session.commit()
                return Reply(
                    header=t(command.locale, "channel.stopped", channel=title, count=removed)
                )
            wanted_ = wanted(wanted_args, await all_sections(session))
            done = await self.subscriptions.add(session, chat, wanted_, command.locale)
            await session.commit()
        return done.reply(command.locale, header_key="channel.done", channel=title)
