"""A chat's digest settings: on/off and time, size, daily or weekly, scope, empty-day note.

Each function changes the ``Chat`` in the caller's session (the caller commits) and moves
the chat's next digest moment to match (``schedule.reschedule``), so the tick never reads a
stale one. Typed values are read in Korean and English; a value that cannot be used raises
``SettingError``, which words itself in the reader's language.
"""

from __future__ import annotations

from datetime import datetime

from newsbot.delivery.chat_settings import OFF, SettingError, set_digest_time
from newsbot.digest.content import MAX_SIZE, MIN_SIZE, SCOPE_ALL, SCOPE_SUBSCRIPTIONS
from newsbot.digest.schedule import DEFAULT_TIME, reschedule
from newsbot.store.delivery_models import Chat

DAILY = frozenset({"daily", "day", "매일", "날마다", "하루"})
WEEKDAYS = {
    **{name: day for day, name in enumerate(("월", "화", "수", "목", "금", "토", "일"))},
    **{f"{n}요일": day for day, n in enumerate(("월", "화", "수", "목", "금", "토", "일"))},
    **{
        name: day
        for day, names in enumerate(
            (
                ("mon", "monday"),
                ("tue", "tuesday"),
                ("wed", "wednesday"),
                ("thu", "thursday"),
                ("fri", "friday"),
                ("sat", "saturday"),
                ("sun", "sunday"),
            )
        )
        for name in names
    },
}
SCOPE_WORDS = {
    "all": SCOPE_ALL,
    "whole": SCOPE_ALL,
    "paper": SCOPE_ALL,
    "전체": SCOPE_ALL,
    "모두": SCOPE_ALL,
    "subscriptions": SCOPE_SUBSCRIPTIONS,
    "subscribed": SCOPE_SUBSCRIPTIONS,
    "mine": SCOPE_SUBSCRIPTIONS,
    "구독": SCOPE_SUBSCRIPTIONS,
    "구독만": SCOPE_SUBSCRIPTIONS,
}
ON = frozenset({"on", "yes", "true", "켜기", "켬", "예"})


def _word(value: str) -> str:
    return " ".join(value.split()).lower()


def _shown(value: str) -> str:
    value = " ".join(value.split())
    return value if len(value) <= 40 else value[:39] + "…"


def set_time(chat: Chat, value: str | int | None, *, now: datetime) -> int | None:
    """The digest's local time (``"08:00"``, minutes), or off (None, ``"off"``, ``"끄기"``)."""
    minute = set_digest_time(chat, value, now=now)
    reschedule(chat, now)
    return minute


def turn_on(chat: Chat, *, now: datetime) -> int:
    """On at the chat's time, or at 08:00 for a chat that never set one."""
    minute = chat.digest_time if chat.digest_time is not None else DEFAULT_TIME
    set_time(chat, minute, now=now)
    return minute


def set_size(chat: Chat, value: str | int, *, now: datetime) -> int:
    """How many articles: 1 to 10 (``"5"``, ``"5건"``, ``"5개"``)."""
    text = _word(str(value)).removesuffix("건").removesuffix("개").strip()
    if not text.isdigit() or not MIN_SIZE <= int(text) <= MAX_SIZE:
        raise SettingError("settings.digest_size", value=_shown(str(value)))
    chat.digest_size, chat.updated_at = int(text), now
    return chat.digest_size


def set_period(chat: Chat, value: str | int | None, *, now: datetime) -> int | None:
    """Daily (None, ``"daily"``, ``"매일"``) or weekly on a weekday (0-6, ``"monday"``,
    ``"월요일"``)."""
    if isinstance(value, str):
        word = _word(value)
        if word in DAILY:
            value = None
        elif word in WEEKDAYS:
            value = WEEKDAYS[word]
        else:
            raise SettingError("settings.digest_window", value=_shown(value))
    if value is not None and not 0 <= value <= 6:
        raise SettingError("settings.digest_window", value=str(value))
    chat.digest_weekday, chat.updated_at = value, now
    reschedule(chat, now)
    return value


def set_scope(chat: Chat, value: str, *, now: datetime) -> str:
    """The chat's own sections and keywords (``"구독"``), or the whole paper (``"전체"``)."""
    scope = SCOPE_WORDS.get(_word(value))
    if scope is None:
        raise SettingError("settings.digest_scope", value=_shown(value))
    chat.digest_scope, chat.updated_at = scope, now
    return scope


def set_empty_note(chat: Chat, value: str | bool, *, now: datetime) -> bool:
    """Whether an empty window still sends a one-line note."""
    if isinstance(value, str):
        word = _word(value)
        if word not in ON | OFF:
            raise SettingError("settings.digest_note", value=_shown(value))
        value = word in ON
    chat.digest_empty_note, chat.updated_at = value, now
    return value
