"""How a chat receives: /settings and its buttons (previews, language, quiet hours, digest).

Button tokens: ``set:lp:on|off`` · ``set:lang:<code>`` · ``set:q:<start>-<end>|off`` ·
``set:d:<minute>|off`` · ``set:bk:on|off`` (the newsroom's breaking news); the digest's
``set:dn:<1-10>`` (size) · ``set:dw:d|<0-6>`` (daily, or weekly on a weekday) ·
``set:ds:all|subscriptions`` (scope) · ``set:de:on|off`` (a note when the window is
empty). Anyone may look at a chat's settings; who may change them is declared in
``handlers.commands``.
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
    set_language,
    set_link_previews,
    set_quiet_hours,
)
from newsbot.digest import settings as digest_settings
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
    "아침브리핑": "digest",
    "language": "language",
    "lang": "language",
    "언어": "language",
    "previews": "previews",
    "preview": "previews",
    "미리보기": "previews",
    "digest-size": "digest_size",
    "브리핑개수": "digest_size",
    "digest-period": "digest_period",
    "브리핑주기": "digest_period",
    "digest-scope": "digest_scope",
    "브리핑범위": "digest_scope",
    "digest-note": "digest_note",
    "빈날알림": "digest_note",
    "breaking": "breaking",
    "속보": "breaking",
}
DIGEST_SIZES = (5, 7, 10)
WEEKLY_PRESET = 0  # the weekly button: Mondays


def _setting_and_value(args: tuple[str, ...]) -> tuple[str | None, str]:
    """Which setting the words name (one word, or two as the bot itself shows them: "방해
    금지", "아침 브리핑") and the value after them."""
    for taken in (2, 1):
        name = "".join(args[:taken]).lower()
        if len(args) > taken and name in _SETTING_WORDS:
            return _SETTING_WORDS[name], " ".join(args[taken:])
    return None, ""


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
        what, value = _setting_and_value(command.args)
        if what is None or not value:
            return Reply(header=t(command.locale, "settings.usage"))
        async with self.context.sessions() as session:
            chat = await chat_of(self.context, session, command)
            now = self.context.clock.now()
            try:
                if what == "quiet":
                    await set_quiet_hours(session, chat, value, now=now)
                elif what == "digest":
                    if value.lower() in _ON:
                        digest_settings.turn_on(chat, now=now)
                    else:
                        digest_settings.set_time(chat, value, now=now)
                elif what == "digest_size":
                    digest_settings.set_size(chat, value, now=now)
                elif what == "digest_period":
                    digest_settings.set_period(chat, value, now=now)
                elif what == "digest_scope":
                    digest_settings.set_scope(chat, value, now=now)
                elif what == "digest_note":
                    digest_settings.set_empty_note(chat, value, now=now)
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
        if name == "back":  # from the subscription menus opened here
            return await self.show(press, edit=True)
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
                    minute = None if value == "off" else int(value)
                    digest_settings.set_time(chat, minute, now=now)
                elif name == "dn":
                    digest_settings.set_size(chat, int(value), now=now)
                elif name == "dw":
                    digest_settings.set_period(chat, None if value == "d" else int(value), now=now)
                elif name == "ds":
                    digest_settings.set_scope(chat, value, now=now)
                elif name == "de" and value in ("on", "off"):
                    digest_settings.set_empty_note(chat, value == "on", now=now)
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


def _mark(label: str, chosen: bool) -> str:
    """The current choice among a row of buttons carries a check."""
    return f"✓ {label}" if chosen else label


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
        chosen = settings.quiet_hours == (start, end)
        buttons.append(Button(_mark(label, chosen), f"set:q:{start}-{end}", row=1))
    quiet_off = t(locale, "button.quiet_off")
    buttons.append(Button(_mark(quiet_off, settings.quiet_hours is None), "set:q:off", row=1))
    for minute in DIGEST_PRESETS:
        label = t(locale, "button.digest", time=hhmm(minute))
        buttons.append(
            Button(_mark(label, settings.digest_time == minute), f"set:d:{minute}", row=2)
        )
    digest_off = t(locale, "button.digest_off")
    buttons.append(Button(_mark(digest_off, settings.digest_time is None), "set:d:off", row=2))
    buttons.append(Button(t(locale, "button.add_subscriptions"), "sub:menu", row=3))
    buttons.append(Button(t(locale, "button.manage_subscriptions"), "uns:menu", row=3))
    buttons += _digest_buttons(settings, locale)
    notice = settings_text(settings, locale)
    if settings.digest_time is not None:
        notice += "\n" + _digest_summary(settings, locale)
    return Reply(
        header=t(locale, "settings.header"),
        notice=notice
        + "\n\n"
        + t(locale, "settings.how")
        + "\n"
        + t(locale, "settings.digest_how"),
        buttons=tuple(buttons),
        edit=edit,
    )


def _digest_buttons(settings: ChatSettings, locale: str) -> list[Button]:
    """The digest's size, period, scope and empty-day note: rows 4 and 5."""
    buttons = [
        Button(t(locale, "button.digest_size", count=n), f"set:dn:{n}", row=4)
        for n in DIGEST_SIZES
        if n != settings.digest_size
    ]
    if settings.digest_weekday is None:
        buttons.append(Button(t(locale, "button.digest_weekly"), f"set:dw:{WEEKLY_PRESET}", row=5))
    else:
        buttons.append(Button(t(locale, "button.digest_daily"), "set:dw:d", row=5))
    other = "subscriptions" if settings.digest_scope == "all" else "all"
    buttons.append(Button(t(locale, f"button.digest_scope_{other}"), f"set:ds:{other}", row=5))
    note = "off" if settings.digest_empty_note else "on"
    buttons.append(Button(t(locale, f"button.digest_note_{note}"), f"set:de:{note}", row=5))
    return buttons


def _digest_summary(settings: ChatSettings, locale: str) -> str:
    assert settings.digest_time is not None
    if settings.digest_weekday is None:
        window = t(locale, "settings.digest_daily")
    else:
        weekday = t(locale, "digest.weekdays").split()[settings.digest_weekday]
        window = t(locale, "settings.digest_weekly", weekday=weekday)
    return t(
        locale,
        "settings.digest_summary",
        when=hhmm(settings.digest_time),
        count=settings.digest_size,
        window=window,
        scope=t(locale, f"settings.digest_scope_{settings.digest_scope}"),
        note=t(locale, "settings.on") if settings.digest_empty_note else t(locale, "settings.off"),
    )
