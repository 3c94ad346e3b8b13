"""Quiet hours as arithmetic: is a moment inside a chat's quiet hours, and when do they end.

Times of day are minutes after local midnight (0-1439) in the chat's own zone, as stored on
``chats``. A start later than the end spans midnight: 23:00-07:00 is quiet from 23:00 until
07:00 the next morning. Equal start and end are not quiet hours at all (settings refuse them).
Nothing here touches the store or the clock: callers pass ``now``.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60


def is_quiet(minute: int, start: int, end: int) -> bool:
    """Whether a minute of the day falls inside start-end (end excluded)."""
    if start == end:
        return False
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end


def quiet_release(now: datetime, start: int | None, end: int | None, zone: str) -> datetime | None:
    """When the quiet hours ``now`` falls in end (UTC), or None when ``now`` is not quiet.

    Computed on the local calendar, so a night that loses or gains an hour to daylight
    saving still ends at the local end time.
    """
    if start is None or end is None:
        return None
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    minute = local.hour * 60 + local.minute
    if not is_quiet(minute, start, end):
        return None
    day = local.date()
    if minute >= end:  # the overnight case before midnight: the quiet hours end tomorrow
        day += timedelta(days=1)
    release = datetime.combine(day, time(end // 60, end % 60), tzinfo=tz).astimezone(UTC)
    return max(release, now.astimezone(UTC))


def format_minutes(minute: int) -> str:
    """07:30 for 450."""
    return f"{minute // 60:02d}:{minute % 60:02d}"
