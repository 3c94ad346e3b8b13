"""A chat's own settings: quiet hours, link previews, language and the daily digest time.

The chat command handlers call these with what the reader typed; a value that cannot be used
raises ``SettingError``, an ``InputError`` that also words itself for the reader in their
language (``error.localized(locale)``). Functions change the ``Chat`` in the caller's session
and the caller commits, so a setting and its consequences land together: changing quiet
hours also reschedules the headlines already held for the chat.

Times are read on a 24-hour clock, the way Korean readers write them too: ``23:00``,
``7:30``, ``0730``, ``23``, ``23시``, ``7시 30분``; ``24:00`` is midnight. Quiet hours are a
range, ``23:00-07:00`` (also ``~``, ``–``, ``to``, ``23시부터 7시까지``); ``off`` (끄기, 없음)
turns a setting off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.delivery.quiet import MINUTES_PER_DAY, quiet_release
from newsbot.errors import InputError
from newsbot.i18n import CATALOGS, t
from newsbot.store.delivery_models import Chat, Delivery, DeliveryState

OFF = frozenset({"off", "none", "no", "끄기", "끔", "없음", "해제"})
LANGUAGES = {
    "ko": "ko",
    "kr": "ko",
    "korean": "ko",
    "한국어": "ko",
    "한글": "ko",
    "en": "en",
    "english": "en",
    "영어": "en",
}
_TIME = re.compile(r"(\d{1,2})(?::(\d{1,2})|시(?:\s*(\d{1,2})\s*분)?)?|(\d{2})(\d{2})")
_RANGE = re.compile(r"\s*(?:-|~|–|—|\bto\b|부터)\s*")


class SettingError(InputError):
    """A setting a reader gave that cannot be used; ``str()`` is English for logs."""

    def __init__(self, key: str, **values: object) -> None:
        self.key = key
        self.values = values
        super().__init__(t("en", key, **values))

    def localized(self, locale: str) -> str:
        return t(locale, self.key, **self.values)


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """What ``/settings`` shows: times as minutes after local midnight."""

    language: str
    timezone: str
    quiet_hours: tuple[int, int] | None
    link_previews: bool
    digest_time: int | None
    breaking_alerts: bool = True  # the newsroom's breaking news, subscribed or not

    @classmethod
    def of(cls, chat: Chat) -> ChatSettings:
        quiet = None
        if chat.quiet_start is not None and chat.quiet_end is not None:
            quiet = (chat.quiet_start, chat.quiet_end)
        return cls(
            chat.language,
            chat.timezone,
            quiet,
            chat.link_previews,
            chat.digest_time,
            breaking_alerts=chat.breaking_alerts is not False,
        )


def _shown(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:39] + "…"


def parse_time(text: str) -> int:
    """A time of day as minutes after midnight: ``parse_time("07:30") == 450``."""
    value = " ".join(text.split())
    match = _TIME.fullmatch(value)
    if match is None:
        raise SettingError("settings.time.format", value=_shown(text))
    hour_text, minute_text, korean_minute, packed_hour, packed_minute = match.groups()
    hour = int(hour_text or packed_hour)
    minute = int(minute_text or korean_minute or packed_minute or 0)
    if minute > 59 or hour > 24 or (hour == 24 and minute):
        raise SettingError("settings.time.range", value=_shown(text))
    return (hour * 60 + minute) % MINUTES_PER_DAY


def _is_off(text: str) -> bool:
    return " ".join(text.split()).lower() in OFF


def parse_quiet_hours(text: str) -> tuple[int, int] | None:
    """``"23:00-07:00"`` → ``(1380, 420)``; ``"off"`` → None."""
    if _is_off(text):
        return None
    value = " ".join(text.split()).removesuffix("까지").strip()
    parts = _RANGE.split(value)
    if len(parts) != 2 or not all(parts):
        raise SettingError("settings.quiet.format", value=_shown(text))
    try:
        start, end = parse_time(parts[0]), parse_time(parts[1])
    except SettingError as error:
        if error.key == "settings.time.format":
            raise SettingError("settings.quiet.format", value=_shown(text)) from None
        raise
    if start == end:
        raise SettingError("settings.quiet.same")
    return start, end


def _check_minute(minute: int) -> int:
    if not 0 <= minute < MINUTES_PER_DAY:
        raise SettingError("settings.time.range", value=str(minute))
    return minute


async def set_quiet_hours(
    session: AsyncSession,
    chat: Chat,
    hours: str | tuple[int, int] | None,
    *,
    now: datetime,
) -> tuple[int, int] | None:
    """Set (a text such as ``"23:00-07:00"``, or minutes) or clear (None, ``"off"``) quiet
    hours; returns them as minutes.

    Headlines already held for the chat are rescheduled by the new setting: released now
    unless the chat is still inside its (new) quiet hours, so they never wait for an end
    time that no longer applies.
    """
    if isinstance(hours, str):
        hours = parse_quiet_hours(hours)
    if hours is not None:
        start, end = _check_minute(hours[0]), _check_minute(hours[1])
        if start == end:
            raise SettingError("settings.quiet.same")
        hours = (start, end)
    chat.quiet_start, chat.quiet_end = hours if hours is not None else (None, None)
    chat.updated_at = now
    release = quiet_release(now, chat.quiet_start, chat.quiet_end, chat.timezone) or now
    await session.execute(
        update(Delivery)
        .where(Delivery.chat_id == chat.id, Delivery.state == DeliveryState.HELD)
        .values(due_at=release)
        .execution_options(synchronize_session=False)
    )
    return hours


def set_breaking_alerts(chat: Chat, enabled: bool, *, now: datetime) -> bool:
    """Whether the newsroom's breaking news reaches this chat beyond its subscriptions."""
    chat.breaking_alerts, chat.updated_at = enabled, now
    return enabled


def set_link_previews(chat: Chat, enabled: bool, *, now: datetime) -> bool:
    """Whether headlines to this chat may show the platform's link preview."""
    chat.link_previews, chat.updated_at = enabled, now
    return enabled


def set_language(chat: Chat, language: str, *, now: datetime) -> str:
    """``ko`` or ``en`` (also 한국어, English, en-US …); returns the code stored."""
    value = " ".join(language.split()).lower()
    code = LANGUAGES.get(value) or LANGUAGES.get(re.split(r"[-_]", value)[0])
    if code is None or code not in CATALOGS:
        raise SettingError(
            "settings.language.unknown", value=_shown(language), choices=", ".join(CATALOGS)
        )
    chat.language, chat.updated_at = code, now
    return code


def set_digest_time(chat: Chat, time: str | int | None, *, now: datetime) -> int | None:
    """The local time of the daily digest (``"07:30"`` or minutes), or None (``"off"``)."""
    if isinstance(time, str):
        time = None if _is_off(time) else parse_time(time)
    chat.digest_time = None if time is None else _check_minute(time)
    chat.updated_at = now
    return chat.digest_time
