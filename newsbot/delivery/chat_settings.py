"""A chat's own settings: quiet hours, link previews, language and the daily digest time.

The chat command handlers call these with what the reader typed; a value that cannot be used
raises ``SettingError``, a ``ReaderError`` that also words itself for the reader in their
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

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.delivery.quiet import MINUTES_PER_DAY, quiet_release
from newsbot.errors import ReaderError
from newsbot.i18n import CATALOGS
from newsbot.store.delivery_models import Chat, Delivery, DeliveryKind, DeliveryState

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
# Words before a time that say which half of the day it is in.
_DAY_PARTS = (
    ("오전", "am"),
    ("아침", "am"),
    ("새벽", "night"),
    ("오후", "pm"),
    ("저녁", "pm"),
    ("밤", "night"),
    ("낮", "day"),
)
_AM_PM = re.compile(r"\s*(a\.?m\.?|p\.?m\.?)$")
_HALF = re.compile(r"시\s*반$")
_NAMED_TIMES = {"정오": 12 * 60, "noon": 12 * 60, "자정": 0, "midnight": 0}


class SettingError(ReaderError):
    """A setting a reader gave that cannot be used."""


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """What ``/settings`` shows: times as minutes after local midnight."""

    language: str
    timezone: str
    quiet_hours: tuple[int, int] | None
    link_previews: bool
    digest_time: int | None
    # The digest's other settings (newsbot.digest.settings changes them).
    digest_size: int = 7
    digest_weekday: int | None = None
    digest_scope: str = "subscriptions"
    digest_empty_note: bool = False
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
            # A Chat not yet flushed has no column defaults: the defaults stand in.
            chat.digest_size or 7,
            chat.digest_weekday,
            chat.digest_scope or "subscriptions",
            bool(chat.digest_empty_note),
            breaking_alerts=chat.breaking_alerts is not False,
        )


def _shown(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:39] + "…"


def parse_time(text: str) -> int:
    """A time of day as minutes after midnight, as readers write it: ``07:30``, ``7시 반``,
    ``오후 7시``, ``밤 11시``, ``7pm``, ``1945``. ``24:00`` is not a time of day (a range may
    end there: see ``parse_quiet_hours``)."""
    return _minutes(text, allow_midnight_end=False)


def _minutes(text: str, *, allow_midnight_end: bool) -> int:
    value = " ".join(text.split()).lower()
    if value in _NAMED_TIMES:
        return _NAMED_TIMES[value]
    part = None
    for word, meaning in _DAY_PARTS:
        if value.startswith(word):
            part, value = meaning, value.removeprefix(word).strip()
            break
    if (suffix := _AM_PM.search(value)) is not None:
        part, value = ("am" if suffix.group(1)[0] == "a" else "pm"), value[: suffix.start()]
    value = _HALF.sub("시 30분", value).strip()
    match = _TIME.fullmatch(value)
    if match is None:
        raise SettingError("settings.time.format", value=_shown(text))
    hour_text, minute_text, korean_minute, packed_hour, packed_minute = match.groups()
    hour = int(hour_text or packed_hour)
    minute = int(minute_text or korean_minute or packed_minute or 0)
    if part is not None:
        if not 1 <= hour <= 12:
            raise SettingError("settings.time.range", value=_shown(text))
        hour = _on_the_clock(hour, part)
    midnight_end = allow_midnight_end and hour == 24 and not minute
    if minute > 59 or (hour > 23 and not midnight_end):
        raise SettingError("settings.time.range", value=_shown(text))
    return (hour * 60 + minute) % MINUTES_PER_DAY


def _on_the_clock(hour: int, part: str) -> int:
    """A 12-hour reading on the 24-hour clock: 오후 7시 → 19, 밤 12시 → 0, 낮 2시 → 14."""
    if part == "am":
        return 0 if hour == 12 else hour
    if part == "night":  # 밤 12시 and 새벽 12시 are midnight; 밤 1-5시 are small hours
        return 0 if hour == 12 else hour + 12 if hour >= 6 else hour
    if part == "day":  # 낮 12시 is noon; 낮 1-6시 the afternoon
        return hour if hour == 12 or hour > 6 else hour + 12
    return hour if hour == 12 else hour + 12  # pm


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
        start = parse_time(parts[0])
        end = _minutes(parts[1], allow_midnight_end=True)  # "22:00-24:00" ends at midnight
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

    Headlines already held for the chat, and a digest waiting for the quiet hours to end,
    are rescheduled by the new setting: released now unless the chat is still inside its
    (new) quiet hours, so they never wait for an end time that no longer applies.
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
    # Held headlines, and a digest waiting for the end of the old quiet hours (digests are
    # written pending, due then: newsbot.digest.tick).
    waiting = or_(
        Delivery.state == DeliveryState.HELD,
        (Delivery.state == DeliveryState.PENDING) & (Delivery.kind == DeliveryKind.DIGEST),
    )
    await session.execute(
        update(Delivery)
        .where(Delivery.chat_id == chat.id, waiting)
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
