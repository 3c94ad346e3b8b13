"""What a chat receives: /subscribe, /unsubscribe, /list, and their buttons.

Button tokens (well under Telegram's 64 bytes): ``sub:all`` · ``sub:s:<section>`` ·
``sub:menu`` · ``uns:<subscription id, base 36>`` · ``uns:all`` · ``uns:menu``.
Who may change a group's subscriptions is declared in ``handlers.commands``, not checked
here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.common import ALL_WORDS, chat_of, label, settings_text, subscribe_buttons, wanted
from handlers.context import HandlerContext
from handlers.membership import SECTION_BUTTONS
from newsbot.conversation import Button, ButtonPress, Command, Reply, base36
from newsbot.delivery.chat_settings import ChatSettings
from newsbot.delivery.subscriptions import (
    ChatRef,
    find_chat,
    subscribe_with_recent,
    subscriptions_of,
    unsubscribe,
    unsubscribe_one,
)
from newsbot.errors import ReaderError
from newsbot.i18n import t
from newsbot.store.delivery_models import Chat, Subscription, SubscriptionKind
from newsbot.store.sections import all_sections, popular_sections

UNSUBSCRIBE_BUTTONS = 20


@dataclass(slots=True)
class Subscriptions:
    context: HandlerContext

    # --- /subscribe ------------------------------------------------------------------------

    async def subscribe(self, command: Command) -> Reply:
        if not command.args:
            return await self.menu(command.locale, edit=False)
        async with self.context.sessions() as session:
            chat = await chat_of(self.context, session, command)
            wanted_ = wanted(command.args, await all_sections(session))
            try:
                added, queued = await self.add(session, chat, wanted_)
            except ReaderError as problem:
                return Reply(header=_refused(command.locale, problem))
            await session.commit()
        return _subscribed(command.locale, added, queued)

    async def menu(self, locale: str, *, edit: bool) -> Reply:
        async with self.context.sessions() as session:
            sections = await popular_sections(session, SECTION_BUTTONS)
        return Reply(
            header=t(locale, "subscribe.usage"),
            buttons=subscribe_buttons(locale, sections),
            edit=edit,
        )

    async def add(
        self, session: AsyncSession, chat: Chat, wanted: Sequence[tuple[SubscriptionKind, str]]
    ) -> tuple[list[str], int]:
        """Subscribe the chat to each of ``wanted``; (their labels, headlines queued)."""
        added: list[str] = []
        queued = 0
        for kind, value in wanted:
            result = await subscribe_with_recent(
                session,
                chat,
                kind,
                value,
                now=self.context.clock.now(),
                analyzer=self.context.analyzer,
            )
            added.append(label(result.subscription, chat.language))
            queued += result.queued
        return added, queued

    # --- /unsubscribe ----------------------------------------------------------------------

    async def unsubscribe(self, command: Command) -> Reply:
        async with self.context.sessions() as session:
            chat = await chat_of(self.context, session, command)
            subscriptions = await subscriptions_of(session, chat)
            if not subscriptions:
                await session.commit()
                return Reply(header=t(command.locale, "list.none"))
            if not command.args:
                return Reply(
                    header=t(command.locale, "unsubscribe.choose"),
                    buttons=_unsubscribe_buttons(command.locale, subscriptions),
                )
            if {a.lower() for a in command.args} & ALL_WORDS:
                removed = await unsubscribe(session, chat)
            else:
                removed = 0
                for kind, value in wanted(command.args, await all_sections(session)):
                    try:
                        removed += await unsubscribe(session, chat, kind, value)
                    except ReaderError:
                        continue
            await session.commit()
        if not removed:
            return Reply(header=t(command.locale, "unsubscribe.nothing"))
        return Reply(header=t(command.locale, "unsubscribe.done", count=removed))

    # --- /list -----------------------------------------------------------------------------

    async def list(self, command: Command) -> Reply:
        async with self.context.sessions() as session:
            chat = await find_chat(session, ChatRef(command.platform, command.chat_id))
            subscriptions = await subscriptions_of(session, chat) if chat else []
        if not subscriptions or chat is None:
            return Reply(header=t(command.locale, "list.none"))
        lines = "\n".join("• " + label(s, command.locale) for s in subscriptions)
        return Reply(
            header=t(command.locale, "list.header", count=len(subscriptions)),
            notice=lines + "\n\n" + settings_text(ChatSettings.of(chat), command.locale),
        )

    # --- buttons ---------------------------------------------------------------------------

    async def press_subscribe(self, press: ButtonPress) -> Reply:
        rest = press.token.partition(":")[2]
        if rest == "menu":  # from /settings: the same choices as /start, in place
            return await self.menu(press.locale, edit=True)
        async with self.context.sessions() as session:
            if rest == "all":
                wanted_ = [(SubscriptionKind.ALL, "")]
            elif rest.startswith("s:") and rest[2:] in await all_sections(session):
                wanted_ = [(SubscriptionKind.SECTION, rest[2:])]
            else:  # not a token we made, or a section that no longer exists
                return Reply(toast=t(press.locale, "button.stale"))
            chat = await chat_of(self.context, session, press)
            try:
                added, queued = await self.add(session, chat, wanted_)
            except ReaderError as problem:
                refused = _refused(press.locale, problem)
                return Reply(header=refused, toast=refused[:190])
            await session.commit()
        reply = _subscribed(press.locale, added, queued)
        return Reply(header=reply.header, notice=reply.notice, toast=reply.header[:190])

    async def press_unsubscribe(self, press: ButtonPress) -> Reply:
        rest = press.token.partition(":")[2]
        async with self.context.sessions() as session:
            chat = await chat_of(self.context, session, press)
            if rest == "menu":  # from /settings: one button per subscription, in place
                subscriptions = await subscriptions_of(session, chat)
                await session.commit()
                if not subscriptions:
                    return Reply(header=t(press.locale, "list.none"), edit=True)
                return Reply(
                    header=t(press.locale, "unsubscribe.choose"),
                    buttons=_unsubscribe_buttons(press.locale, subscriptions),
                    edit=True,
                )
            if rest == "all":
                removed = await unsubscribe(session, chat)
            else:
                try:
                    ident = int(rest, 36)
                except ValueError:
                    ident = 0
                if not 0 < ident < 2**31:  # not a token we could have made
                    return Reply(toast=t(press.locale, "button.stale"))
                removed = await unsubscribe_one(session, chat, ident)
            await session.commit()
            remaining = await subscriptions_of(session, chat)
        header = t(press.locale, "unsubscribe.done", count=removed)
        if not remaining:
            return Reply(header=header + "\n" + t(press.locale, "list.none"), edit=True)
        return Reply(
            header=header,
            notice=t(press.locale, "unsubscribe.choose"),
            buttons=_unsubscribe_buttons(press.locale, remaining),
            edit=True,
        )


def _refused(locale: str, problem: ReaderError) -> str:
    return t(locale, "subscribe.invalid", problem=problem.localized(locale))


def _subscribed(locale: str, added: Sequence[str], queued: int) -> Reply:
    return Reply(
        header=t(locale, "subscribe.done", what=", ".join(added)),
        notice=t(locale, "subscribe.recent", count=queued) if queued else "",
    )


def _unsubscribe_buttons(locale: str, subscriptions: Sequence[Subscription]) -> tuple[Button, ...]:
    buttons = [
        Button("✕ " + label(s, locale), f"uns:{base36(s.id)}", row=n)
        for n, s in enumerate(subscriptions[:UNSUBSCRIBE_BUTTONS])
    ]
    buttons.append(Button(t(locale, "button.unsubscribe_all"), "uns:all", row=len(buttons)))
    return tuple(buttons)
