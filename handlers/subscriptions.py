"""What a chat receives: /subscribe, /unsubscribe, /list, and their buttons.

Button tokens (well under Telegram's 64 bytes): ``sub:all`` · ``sub:s:<section>`` ·
``sub:menu`` · ``uns:<subscription id, base 36>`` · ``uns:all`` · ``uns:menu``.
Who may change a group's subscriptions is declared in ``handlers.commands``, not checked
here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.common import (
    ALL_WORDS,
    SECTION_LIKE_WORDS,
    chat_of,
    label,
    label_of,
    settings_text,
    subscribe_buttons,
    wanted,
)
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
GROUP_KINDS = frozenset({"group", "supergroup"})


@dataclass(slots=True)
class Subscribed:
    """What a /subscribe did with each word, so the reply can say it all."""

    added: list[str] = field(default_factory=list)  # labels of new subscriptions
    already: list[str] = field(default_factory=list)  # the chat had them
    covered: list[str] = field(default_factory=list)  # all news includes them
    as_keyword: list[str] = field(default_factory=list)  # section-like words made keywords
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (word, why), localized
    queued: int = 0

    def reply(self, locale: str, *, header_key: str = "subscribe.done", **values: str) -> Reply:
        notes = [t(locale, "subscribe.as_keyword", word=word) for word in self.as_keyword]
        if self.already:
            notes.append(t(locale, "subscribe.already", what=", ".join(self.already)))
        if self.covered:
            notes.append(t(locale, "subscribe.covered", what=", ".join(self.covered)))
        if self.added:
            header = t(locale, header_key, what=", ".join(self.added), **values)
            notes += [t(locale, "subscribe.skipped", word=w, reason=r) for w, r in self.skipped]
        elif self.skipped and not (self.already or self.covered):
            (_, first), *rest = self.skipped
            header = t(locale, "subscribe.invalid", problem=first)
            notes += [t(locale, "subscribe.skipped", word=w, reason=r) for w, r in rest]
        else:
            header = t(locale, "subscribe.nothing_new")
            notes += [t(locale, "subscribe.skipped", word=w, reason=r) for w, r in self.skipped]
        if self.queued:
            notes.append(t(locale, "subscribe.recent", count=self.queued))
        return Reply(header=header, notice="\n".join(notes))


@dataclass(slots=True)
class Subscriptions:
    context: HandlerContext

    # --- /subscribe ------------------------------------------------------------------------

    async def subscribe(self, command: Command) -> Reply:
        if not command.args:
            return await self.menu(command.locale, edit=False)
        async with self.context.sessions() as session:
            chat = await chat_of(self.context, session, command)
            sections = await all_sections(session)
            done = await self.add(session, chat, wanted(command.args, sections), command.locale)
            done.as_keyword = [w for w in command.args if _meant_a_section(w, sections, done)]
            await session.commit()
        return done.reply(command.locale)

    async def menu(self, locale: str, *, edit: bool) -> Reply:
        """The one-tap choices; opened in place from /settings (``edit``), with a way back."""
        async with self.context.sessions() as session:
            sections = await popular_sections(session, SECTION_BUTTONS)
        buttons = subscribe_buttons(locale, sections)
        return Reply(
            header=t(locale, "subscribe.usage"),
            buttons=buttons + _back(locale, buttons) if edit else buttons,
            edit=edit,
        )

    async def add(
        self,
        session: AsyncSession,
        chat: Chat,
        wanted: Sequence[tuple[SubscriptionKind, str]],
        locale: str,
    ) -> Subscribed:
        """Subscribe the chat to each of ``wanted`` it can take; say what became of each."""
        done = Subscribed()
        has_all = any(s.kind is SubscriptionKind.ALL for s in await subscriptions_of(session, chat))
        for kind, value in wanted:
            try:
                if has_all and kind is not SubscriptionKind.ALL:
                    done.covered.append(label_of(kind, value, locale))
                    continue
                result = await subscribe_with_recent(
                    session,
                    chat,
                    kind,
                    value,
                    now=self.context.clock.now(),
                    analyzer=self.context.analyzer,
                )
            except ReaderError as problem:
                done.skipped.append((value, problem.localized(locale)))
                continue
            shown = label(result.subscription, locale)
            (done.added if result.created else done.already).append(shown)
            done.queued += result.queued
            has_all = has_all or kind is SubscriptionKind.ALL
        return done

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
                await session.commit()
                return Reply(header=t(command.locale, "unsubscribe.done", count=removed))
            names: list[str] = []
            missing: list[str] = []
            for kind, value in wanted(command.args, await all_sections(session)):
                try:
                    gone = await unsubscribe(session, chat, kind, value)
                except ReaderError:
                    gone = 0
                if gone:
                    names.append(label_of(kind, value, command.locale))
                else:
                    missing.append(f"‘{value}’")
            await session.commit()
        not_found = t(command.locale, "unsubscribe.not_found", what=", ".join(missing))
        if not names:
            header = t(command.locale, "unsubscribe.nothing")
            return Reply(header=header, notice=not_found if missing else "")
        return Reply(
            header=t(command.locale, "unsubscribe.removed", what=", ".join(names)),
            notice=not_found if missing else "",
        )

    # --- /list -----------------------------------------------------------------------------

    async def list(self, command: Command) -> Reply:
        async with self.context.sessions() as session:
            chat = await find_chat(session, ChatRef(command.platform, command.chat_id))
            subscriptions = await subscriptions_of(session, chat) if chat else []
        if not subscriptions or chat is None:
            return Reply(header=t(command.locale, "list.none"))
        lines = "\n".join("• " + label(s, command.locale) for s in subscriptions)
        notice = lines + "\n\n" + settings_text(ChatSettings.of(chat), command.locale)
        if command.chat_kind in GROUP_KINDS:
            notice += "\n\n" + t(command.locale, "list.admins_change")
        return Reply(
            header=t(command.locale, "list.header", count=len(subscriptions)), notice=notice
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
            done = await self.add(session, chat, wanted_, press.locale)
            await session.commit()
        reply = done.reply(press.locale)
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
                buttons = _unsubscribe_buttons(press.locale, subscriptions)
                return Reply(
                    header=t(press.locale, "unsubscribe.choose"),
                    buttons=buttons + _back(press.locale, buttons),
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


def _back(locale: str, above: tuple[Button, ...]) -> tuple[Button, ...]:
    row = max((b.row for b in above), default=-1) + 1
    return (Button(t(locale, "button.back_to_settings"), "set:back", row=row),)


def _meant_a_section(word: str, sections: set[str], done: Subscribed) -> bool:
    """A common section name this paper does not have, now followed as a keyword."""
    return (
        word in SECTION_LIKE_WORDS
        and word not in sections
        and any(word in shown for shown in done.added)
    )


def _unsubscribe_buttons(locale: str, subscriptions: Sequence[Subscription]) -> tuple[Button, ...]:
    buttons = [
        Button("✕ " + label(s, locale), f"uns:{base36(s.id)}", row=n)
        for n, s in enumerate(subscriptions[:UNSUBSCRIBE_BUTTONS])
    ]
    buttons.append(Button(t(locale, "button.unsubscribe_all"), "uns:all", row=len(buttons)))
    return tuple(buttons)
