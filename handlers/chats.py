"""What a chat receives and how: /start, /subscribe, /unsubscribe, /list, /settings, /help.

Platform-neutral like the reader commands: a Command or ButtonPress in, a Reply out. In a
group only its administrators change what the group gets (the adapter tells us who is one);
everyone may look. A channel cannot talk to the bot, so an administrator subscribes it from a
private chat with ``/channel @name …`` once the adapter confirms both of them are admins there.

Button tokens (all well under Telegram's 64 bytes):
``sub:all`` · ``sub:s:<section>`` · ``sub:menu`` · ``uns:<subscription id, base 36>`` ·
``uns:all`` · ``uns:menu`` ·
``set:lp:on|off`` · ``set:lang:<code>`` · ``set:q:<start>-<end>|off`` · ``set:d:<minute>|off``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.replies import MAX_TOKEN_BYTES, Button, ButtonPress, Command, Reply, base36
from newsbot.clock import Clock
from newsbot.delivery.chat_settings import (
    ChatSettings,
    SettingError,
    set_digest_time,
    set_language,
    set_link_previews,
    set_quiet_hours,
)
from newsbot.delivery.subscriptions import (
    ChatRef,
    get_or_create_chat,
    subscribe_with_recent,
    subscriptions_of,
    unsubscribe,
)
from newsbot.errors import InputError
from newsbot.i18n import CATALOGS, t
from newsbot.store.delivery_models import Chat, ChatKind, Subscription, SubscriptionKind
from newsbot.store.models import Article
from newsbot.text.analyzer import Analyzer

SECTION_BUTTONS = 6
ALL_WORDS = frozenset({"all", "전체", "모두", "전부"})
# Commands that change what a chat gets; in groups only administrators may use them.
MANAGING = frozenset({"subscribe", "unsubscribe", "settings"})
QUIET_PRESETS = ((23 * 60, 7 * 60), (22 * 60, 8 * 60))
DIGEST_PRESETS = (7 * 60, 8 * 60, 18 * 60)
_SETTING_WORDS = {
    "quiet": "quiet",
    "방해금지": "quiet",
    "방해": "quiet",
    "digest": "digest",
    "다이제스트": "digest",
    "브리핑": "digest",
    "language": "language",
    "lang": "language",
    "언어": "language",
    "previews": "previews",
    "preview": "previews",
    "미리보기": "previews",
}
_ON = frozenset({"on", "yes", "true", "켜기", "켬", "예"})
_OFF = frozenset({"off", "no", "false", "끄기", "끔", "아니오"})


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """What the platform says about a channel an administrator wants to subscribe."""

    chat_id: str
    title: str | None
    bot_is_admin: bool
    user_is_admin: bool


class Channels(Protocol):
    """The adapter's answer to "which channel is @name, and who may post there?"."""

    async def inspect(self, reference: str, user_id: str) -> ChannelInfo | None: ...


def _kind(value: str) -> ChatKind:
    try:
        return ChatKind(value)
    except ValueError:
        return ChatKind.PRIVATE


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _fits(token: str) -> bool:
    return len(token.encode("utf-8")) <= MAX_TOKEN_BYTES


@dataclass(slots=True)
class ChatHandlers:
    sessions: async_sessionmaker[AsyncSession]
    analyzer: Analyzer
    clock: Clock
    channels: Channels | None = None

    async def handle(self, command: Command) -> Reply | None:
        """The reply to a chat command, or None when the command is not one of these."""
        match command.name:
            case "start":
                return await self.start(command)
            case "help" | "도움말":
                return Reply(header=t(command.locale, "help"))
            case "subscribe" | "구독":
                return await self._managing(command, self.subscribe)
            case "unsubscribe" | "구독취소" | "해지":
                return await self._managing(command, self.unsubscribe)
            case "list" | "목록":
                return await self.list(command)
            case "settings" | "설정":
                if not command.args:
                    return await self.show_settings(command)
                return await self._managing(command, self.change_setting)
            case "channel" | "채널":
                return await self.channel(command)
        return None

    async def _managing(self, command: Command, action: _Action) -> Reply:
        if not command.is_admin:
            return Reply(header=t(command.locale, "chat.admins_only"))
        return await action(command)

    async def _chat(self, session: AsyncSession, command: Command | ButtonPress) -> Chat:
        kind = _kind(command.chat_kind)
        title = command.chat_title if isinstance(command, Command) else None
        chat = await get_or_create_chat(
            session,
            ChatRef(command.platform, command.chat_id),
            kind=kind,
            now=self.clock.now(),
            title=title,
            language=command.locale,
        )
        return chat

    # --- /start and joining --------------------------------------------------------------

    async def start(self, command: Command) -> Reply:
        async with self.sessions() as session:
            await self._chat(session, command)
            sections = await self._sections(session)
            await session.commit()
        return Reply(
            header=t(command.locale, "start.welcome"),
            notice=t(command.locale, "start.how"),
            buttons=self._subscribe_buttons(command.locale, sections),
        )

    async def joined(self, command: Command) -> Reply:
        """The bot was added to a group: greet once, and remember the group."""
        async with self.sessions() as session:
            await self._chat(session, command)
            await session.commit()
        return Reply(header=t(command.locale, "group.welcome"))

    async def left(self, platform: str, chat_id: str, reason: str) -> None:
        """The bot was removed from a chat: stop sending there (a later /start revives it)."""
        async with self.sessions() as session:
            chat = await session.scalar(
                select(Chat).where(Chat.platform == platform, Chat.platform_chat_id == chat_id)
            )
            if chat is not None and chat.active:
                chat.active, chat.inactive_reason = False, reason
                chat.updated_at = self.clock.now()
                await session.commit()

    async def _sections(self, session: AsyncSession) -> list[str]:
        """The sections with the most articles, for one-tap subscriptions."""
        rows = await session.execute(
            select(Article.section)
            .where(Article.section.is_not(None))
            .group_by(Article.section)
            .order_by(func.count().desc(), Article.section)
            .limit(SECTION_BUTTONS)
        )
        return [section for (section,) in rows if section]

    def _subscribe_buttons(self, locale: str, sections: Sequence[str]) -> tuple[Button, ...]:
        buttons = [Button(t(locale, "button.subscribe_all"), "sub:all", row=0)]
        for n, section in enumerate(sections):
            token = f"sub:s:{section}"
            if _fits(token):
                buttons.append(Button(section, token, row=1 + n // 3))
        return tuple(buttons)

    # --- /subscribe and /unsubscribe -----------------------------------------------------

    async def _subscribe_menu(self, locale: str, *, edit: bool) -> Reply:
        async with self.sessions() as session:
            sections = await self._sections(session)
        return Reply(
            header=t(locale, "subscribe.usage"),
            buttons=self._subscribe_buttons(locale, sections),
            edit=edit,
        )

    async def subscribe(self, command: Command) -> Reply:
        if not command.args:
            return await self._subscribe_menu(command.locale, edit=False)
        async with self.sessions() as session:
            chat = await self._chat(session, command)
            known = set(await self._all_sections(session))
            wanted = _wanted(command.args, known)
            try:
                added, queued = await self._add(session, chat, wanted)
            except InputError as problem:
                return Reply(header=t(command.locale, "subscribe.invalid", problem=str(problem)))
            await session.commit()
        return self._subscribed_reply(command.locale, added, queued)

    async def _add(
        self, session: AsyncSession, chat: Chat, wanted: Sequence[tuple[SubscriptionKind, str]]
    ) -> tuple[list[str], int]:
        added: list[str] = []
        queued = 0
        for kind, value in wanted:
            result = await subscribe_with_recent(
                session, chat, kind, value, now=self.clock.now(), analyzer=self.analyzer
            )
            added.append(_label(result.subscription, chat.language))
            queued += result.queued
        return added, queued

    def _subscribed_reply(self, locale: str, added: Sequence[str], queued: int) -> Reply:
        return Reply(
            header=t(locale, "subscribe.done", what=", ".join(added)),
            notice=t(locale, "subscribe.recent", count=queued) if queued else "",
        )

    async def _all_sections(self, session: AsyncSession) -> list[str]:
        rows = await session.scalars(
            select(Article.section).where(Article.section.is_not(None)).distinct()
        )
        return [s for s in rows if s]

    async def unsubscribe(self, command: Command) -> Reply:
        async with self.sessions() as session:
            chat = await self._chat(session, command)
            subscriptions = await subscriptions_of(session, chat)
            if not subscriptions:
                await session.commit()
                return Reply(header=t(command.locale, "list.none"))
            if not command.args:
                return Reply(
                    header=t(command.locale, "unsubscribe.choose"),
                    buttons=self._unsubscribe_buttons(command.locale, subscriptions),
                )
            if {a.lower() for a in command.args} & ALL_WORDS:
                removed = await unsubscribe(session, chat)
            else:
                known = set(await self._all_sections(session))
                removed = 0
                for kind, value in _wanted(command.args, known):
                    try:
                        removed += await unsubscribe(session, chat, kind, value)
                    except InputError:
                        continue
            await session.commit()
        if not removed:
            return Reply(header=t(command.locale, "unsubscribe.nothing"))
        return Reply(header=t(command.locale, "unsubscribe.done", count=removed))

    def _unsubscribe_buttons(
        self, locale: str, subscriptions: Sequence[Subscription]
    ) -> tuple[Button, ...]:
        buttons = [
            Button("✕ " + _label(s, locale), f"uns:{base36(s.id)}", row=n)
            for n, s in enumerate(subscriptions[:20])
        ]
        buttons.append(Button(t(locale, "button.unsubscribe_all"), "uns:all", row=len(buttons)))
        return tuple(buttons)

    # --- /list ---------------------------------------------------------------------------

    async def list(self, command: Command) -> Reply:
        async with self.sessions() as session:
            chat = await session.scalar(
                select(Chat).where(
                    Chat.platform == command.platform, Chat.platform_chat_id == command.chat_id
                )
            )
            subscriptions = await subscriptions_of(session, chat) if chat else []
        if not subscriptions or chat is None:
            return Reply(header=t(command.locale, "list.none"))
        lines = "\n".join("• " + _label(s, command.locale) for s in subscriptions)
        return Reply(
            header=t(command.locale, "list.header", count=len(subscriptions)),
            notice=lines + "\n\n" + _settings_text(ChatSettings.of(chat), command.locale),
        )

    # --- /settings -----------------------------------------------------------------------

    async def show_settings(self, command: Command | ButtonPress, *, edit: bool = False) -> Reply:
        async with self.sessions() as session:
            chat = await self._chat(session, command)
            await session.commit()
            settings = ChatSettings.of(chat)
        return self._settings_reply(settings, command.locale, edit=edit)

    def _settings_reply(self, settings: ChatSettings, locale: str, *, edit: bool) -> Reply:
        locale = settings.language or locale
        previews = "off" if settings.link_previews else "on"
        buttons = [
            Button(t(locale, f"button.previews_{previews}"), f"set:lp:{previews}", row=0),
        ]
        for code in CATALOGS:
            if code != settings.language:
                buttons.append(Button(t(code, "button.language"), f"set:lang:{code}", row=0))
        for start, end in QUIET_PRESETS:
            label = t(locale, "button.quiet", hours=f"{_hhmm(start)}-{_hhmm(end)}")
            buttons.append(Button(label, f"set:q:{start}-{end}", row=1))
        buttons.append(Button(t(locale, "button.quiet_off"), "set:q:off", row=1))
        for minute in DIGEST_PRESETS:
            label = t(locale, "button.digest", time=_hhmm(minute))
            buttons.append(Button(label, f"set:d:{minute}", row=2))
        buttons.append(Button(t(locale, "button.digest_off"), "set:d:off", row=2))
        buttons.append(Button(t(locale, "button.add_subscriptions"), "sub:menu", row=3))
        buttons.append(Button(t(locale, "button.manage_subscriptions"), "uns:menu", row=3))
        return Reply(
            header=t(locale, "settings.header"),
            notice=_settings_text(settings, locale) + "\n\n" + t(locale, "settings.how"),
            buttons=tuple(buttons),
            edit=edit,
        )

    async def change_setting(self, command: Command) -> Reply:
        what = _SETTING_WORDS.get(command.args[0].lower())
        value = " ".join(command.args[1:])
        if what is None or not value:
            return Reply(header=t(command.locale, "settings.usage"))
        async with self.sessions() as session:
            chat = await self._chat(session, command)
            now = self.clock.now()
            try:
                if what == "quiet":
                    await set_quiet_hours(session, chat, value, now=now)
                elif what == "digest":
                    set_digest_time(chat, value, now=now)
                elif what == "language":
                    set_language(chat, value, now=now)
                else:
                    lowered = value.lower()
                    if lowered not in _ON | _OFF:
                        return Reply(header=t(command.locale, "settings.usage"))
                    set_link_previews(chat, lowered in _ON, now=now)
            except SettingError as problem:
                return Reply(header=problem.localized(command.locale))
            await session.commit()
            settings = ChatSettings.of(chat)
        return self._settings_reply(settings, settings.language, edit=False)

    # --- buttons -------------------------------------------------------------------------

    async def press(self, press: ButtonPress) -> Reply | None:
        kind, _, rest = press.token.partition(":")
        if kind not in ("sub", "uns", "set"):
            return None
        if not press.is_admin:
            return Reply(toast=t(press.locale, "chat.admins_only"))
        if kind == "sub":
            return await self._press_subscribe(press, rest)
        if kind == "uns":
            return await self._press_unsubscribe(press, rest)
        return await self._press_setting(press, rest)

    async def _press_subscribe(self, press: ButtonPress, rest: str) -> Reply:
        if rest == "menu":  # from /settings: the same choices as /start, in place
            return await self._subscribe_menu(press.locale, edit=True)
        if rest == "all":
            wanted = [(SubscriptionKind.ALL, "")]
        elif rest.startswith("s:") and rest[2:].strip():
            wanted = [(SubscriptionKind.SECTION, rest[2:])]
        else:
            return Reply(toast=t(press.locale, "button.stale"))
        async with self.sessions() as session:
            chat = await self._chat(session, press)
            added, queued = await self._add(session, chat, wanted)
            await session.commit()
        reply = self._subscribed_reply(press.locale, added, queued)
        return Reply(header=reply.header, notice=reply.notice, toast=reply.header[:190])

    async def _press_unsubscribe(self, press: ButtonPress, rest: str) -> Reply:
        async with self.sessions() as session:
            chat = await self._chat(session, press)
            if rest == "menu":  # from /settings: one button per subscription, in place
                subscriptions = await subscriptions_of(session, chat)
                await session.commit()
                if not subscriptions:
                    return Reply(header=t(press.locale, "list.none"), edit=True)
                return Reply(
                    header=t(press.locale, "unsubscribe.choose"),
                    buttons=self._unsubscribe_buttons(press.locale, subscriptions),
                    edit=True,
                )
            if rest == "all":
                removed = await unsubscribe(session, chat)
            else:
                try:
                    ident = int(rest, 36)
                except ValueError:
                    return Reply(toast=t(press.locale, "button.stale"))
                subscription = await session.get(Subscription, ident)
                removed = 0
                if subscription is not None and subscription.chat_id == chat.id:
                    await session.delete(subscription)
                    removed = 1
            await session.commit()
            remaining = await subscriptions_of(session, chat)
        header = t(press.locale, "unsubscribe.done", count=removed)
        if not remaining:
            return Reply(header=header + "\n" + t(press.locale, "list.none"), edit=True)
        return Reply(
            header=header,
            notice=t(press.locale, "unsubscribe.choose"),
            buttons=self._unsubscribe_buttons(press.locale, remaining),
            edit=True,
        )

    async def _press_setting(self, press: ButtonPress, rest: str) -> Reply:
        name, _, value = rest.partition(":")
        async with self.sessions() as session:
            chat = await self._chat(session, press)
            now = self.clock.now()
            try:
                if name == "lp" and value in ("on", "off"):
                    set_link_previews(chat, value == "on", now=now)
                elif name == "lang":
                    set_language(chat, value, now=now)
                elif name == "q":
                    if value == "off":
                        await set_quiet_hours(session, chat, None, now=now)
                    else:
                        start, _, end = value.partition("-")
                        await set_quiet_hours(session, chat, (int(start), int(end)), now=now)
                elif name == "d":
                    set_digest_time(chat, None if value == "off" else int(value), now=now)
                else:
                    return Reply(toast=t(press.locale, "button.stale"))
            except (SettingError, ValueError):
                return Reply(toast=t(press.locale, "button.stale"))
            await session.commit()
            settings = ChatSettings.of(chat)
        reply = self._settings_reply(settings, settings.language, edit=True)
        return Reply(
            header=reply.header,
            notice=reply.notice,
            buttons=reply.buttons,
            edit=True,
            toast=t(settings.language, "settings.saved"),
        )

    # --- channels ------------------------------------------------------------------------

    async def channel(self, command: Command) -> Reply:
        """``/channel @name [all | sections | keywords | stop]`` from a private chat."""
        if command.chat_kind != ChatKind.PRIVATE.value or self.channels is None:
            return Reply(header=t(command.locale, "channel.private_only"))
        if not command.args:
            return Reply(header=t(command.locale, "channel.usage"))
        reference, wanted_args = command.args[0], command.args[1:]
        info = await self.channels.inspect(reference, command.user_id)
        if info is None:
            return Reply(header=t(command.locale, "channel.unknown", channel=reference[:64]))
        if not info.user_is_admin:
            return Reply(header=t(command.locale, "channel.not_your_admin", channel=reference))
        if not info.bot_is_admin:
            return Reply(header=t(command.locale, "channel.bot_not_admin", channel=reference))
        title = info.title or reference
        async with self.sessions() as session:
            chat = await get_or_create_chat(
                session,
                ChatRef(command.platform, info.chat_id),
                kind=ChatKind.CHANNEL,
                now=self.clock.now(),
                title=info.title,
                language=command.locale,
            )
            if {a.lower() for a in wanted_args} & {"stop", "off", "중지", "해지"}:
                removed = await unsubscribe(session, chat)
                await session.commit()
                return Reply(
                    header=t(command.locale, "channel.stopped", channel=title, count=removed)
                )
            known = set(await self._all_sections(session))
            wanted = _wanted(wanted_args or ("all",), known)
            try:
                added, queued = await self._add(session, chat, wanted)
            except InputError as problem:
                return Reply(header=t(command.locale, "subscribe.invalid", problem=str(problem)))
            await session.commit()
        return Reply(
            header=t(command.locale, "channel.done", channel=title, what=", ".join(added)),
            notice=t(command.locale, "subscribe.recent", count=queued) if queued else "",
        )


class _Action(Protocol):
    async def __call__(self, command: Command, /) -> Reply: ...


def _wanted(args: Sequence[str], sections: set[str]) -> list[tuple[SubscriptionKind, str]]:
    """Each word a reader gave: all news, a known section, or else a keyword."""
    wanted: list[tuple[SubscriptionKind, str]] = []
    for arg in args:
        word = arg.strip().lstrip("#")
        if not word:
            continue
        if word.lower() in ALL_WORDS:
            wanted.append((SubscriptionKind.ALL, ""))
        elif word in sections:
            wanted.append((SubscriptionKind.SECTION, word))
        else:
            wanted.append((SubscriptionKind.KEYWORD, word))
    return wanted


def _label(subscription: Subscription, locale: str) -> str:
    if subscription.kind is SubscriptionKind.ALL:
        return t(locale, "subscription.all")
    if subscription.kind is SubscriptionKind.SECTION:
        return t(locale, "subscription.section", section=subscription.value)
    return t(locale, "subscription.keyword", keyword=subscription.value)


def _settings_text(settings: ChatSettings, locale: str) -> str:
    off = t(locale, "settings.off")
    quiet = (
        f"{_hhmm(settings.quiet_hours[0])}-{_hhmm(settings.quiet_hours[1])}"
        if settings.quiet_hours
        else off
    )
    digest = _hhmm(settings.digest_time) if settings.digest_time is not None else off
    previews = t(locale, "settings.on") if settings.link_previews else off
    return t(
        locale,
        "settings.summary",
        language=t(settings.language, "language.name"),
        zone=settings.timezone,
        quiet=quiet,
        digest=digest,
        previews=previews,
    )
