"""How a chat receives: /settings and its buttons (previews, language, quiet hours, digest).

Button tokens: ``set:lp:on|off`` · ``set:lang:<code>`` · ``set:q:<start>-<end>|off`` ·
``set:d:<minute>|off`` · ``set:bk:on|off`` (the newsroom's breaking news). Anyone may look
at a chat's settings; who may change them is declared in ``handlers.commands``.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.common import chat_of, hhmm, settings_text
from handlers.context import HandlerContext
from newsbot.conversation import Button, ButtonPress, Command, Reply
from newsbot.delivery.chat_settings import (
    ChatSettings,
    SettingError,
    set_breaking_alerts,
    set_digest_time,
    set_language,
    set_link_previews,
    set_quiet_hours,
)
from newsbot.i18n import CATALOGS, t

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
    "breaking": "breaking",
    "속보": "breaking",
}
_ON = frozenset({"on", "yes", "true", "켜기", "켬", "예"})
_OFF = frozenset({"off", "no", "false", "끄기", "끔", "아니오"})


@dataclass(slots=True)
class Settings:
    context: HandlerContext

    async def settings(self, command: Command) -> Reply:
        """``/settings`` shows them with buttons; ``/settings 방해금지 23:00-07:00`` changes one."""
        if not command.args:
            return await self.show(command)
        return await self.change(command)

    async def show(self, command: Command | ButtonPress, *, edit: bool = False) -> Reply:
        async with self.context.sessions() as session:
            chat = await chat_of(self.context, session, command)
            await session.commit()
            settings = ChatSettings.of(chat)
        return _settings_reply(settings, command.locale, edit=edit)

    async def change(self, command: Command) -> Reply:
        what = _SETTING_WORDS.get(command.args[0].lower())
        value = " ".join(command.args[1:])
        if what is None or not value:
            return Reply(header=t(command.locale, "settings.usage"))
        async with self.context.sessions() as session:
            chat = await chat_of(self.context, session, command)
            now = self.context.clock.now()
            try:
                if what == "quiet":
                    await set_quiet_hours(session, chat, value, now=now)
                elif what == "digest":
                    set_digest_time(chat, value, now=now)
                elif what == "language":
                    set_language(chat, value, now=now)
                elif what == "breaking":
                    lowered = value.lower()
                    if lowered not in _ON | _OFF:
                        return Reply(header=t(command.locale, "settings.usage"))
                    set_breaking_alerts(chat, lowered in _ON, now=now)
                else:
                    lowered = value.lower()
                    if lowered not in _ON | _OFF:
                        return Reply(header=t(command.locale, "settings.usage"))
                    set_link_previews(chat, lowered in _ON, now=now)
            except SettingError as problem:
                return Reply(header=problem.localized(command.locale))
            await session.commit()
            settings = ChatSettings.of(chat)
        return _settings_reply(settings, settings.language, edit=False)

    async def press(self, press: ButtonPress) -> Reply:
        name, _, value = press.token.partition(":")[2].partition(":")
        async with self.context.sessions() as session:
            chat = await chat_of(self.context, session, press)
            now = self.context.clock.now()
            try:
                if name == "lp" and value in ("on", "off"):
                    set_link_previews(chat, value == "on", now=now)
                elif name == "bk" and value in ("on", "off"):
                    set_breaking_alerts(chat, value == "on", now=now)
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
        reply = _settings_reply(settings, settings.language, edit=True)
        return Reply(
            header=reply.header,
            notice=reply.notice,
            buttons=reply.buttons,
            edit=True,
            toast=t(settings.language, "settings.saved"),
        )


def _settings_reply(settings: ChatSettings, locale: str, *, edit: bool) -> Reply:
    locale = settings.language or locale
    previews = "off" if settings.link_previews else "on"
    buttons = [
        Button(t(locale, f"button.previews_{previews}"), f"set:lp:{previews}", row=0),
    ]
    breaking = "off" if settings.breaking_alerts else "on"
    buttons.append(Button(t(locale, f"button.breaking_{breaking}"), f"set:bk:{breaking}", row=0))
    for code in CATALOGS:
        if code != settings.language:
            buttons.append(Button(t(code, "button.language"), f"set:lang:{code}", row=0))
    for start, end in QUIET_PRESETS:
        label = t(locale, "button.quiet", hours=f"{hhmm(start)}-{hhmm(end)}")
        buttons.append(Button(label, f"set:q:{start}-{end}", row=1))
    buttons.append(Button(t(locale, "button.quiet_off"), "set:q:off", row=1))
    for minute in DIGEST_PRESETS:
        label = t(locale, "button.digest", time=hhmm(minute))
        buttons.append(Button(label, f"set:d:{minute}", row=2))
    buttons.append(Button(t(locale, "button.digest_off"), "set:d:off", row=2))
    buttons.append(Button(t(locale, "button.add_subscriptions"), "sub:menu", row=3))
    buttons.append(Button(t(locale, "button.manage_subscriptions"), "uns:menu", row=3))
    return Reply(
        header=t(locale, "settings.header"),
        notice=settings_text(settings, locale) + "\n\n" + t(locale, "settings.how"),
        buttons=tuple(buttons),
        edit=edit,
    )
