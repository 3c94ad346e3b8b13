"""When a chat's digest falls due: local wall-clock arithmetic in the chat's own zone.

A digest at local minute ``m`` on local date ``D`` falls due at the UTC moment when the
chat's clock first shows ``m`` on ``D``:

- on a day whose clocks spring forward over ``m`` (no 02:30 on that day), at the first
  minute after the gap (03:00);
- on a day whose clocks fall back over ``m`` (two 01:30s), at the first of them; the second
  is the same local date, and a chat has one digest per local date.

A weekly digest falls due only on its weekday (0 Monday … 6 Sunday). Nothing here touches
the store or a clock: callers pass the moments.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from newsbot.store.delivery_models import Chat

MINUTES_PER_DAY = 24 * 60
DEFAULT_TIME = 8 * 60  # 08:00, for a chat that turns the digest on without a time


@dataclass(frozen=True, slots=True)
class Occurrence:
    local_date: date
    due_at: datetime  # UTC


def due_moment(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The UTC moment local ``minute`` of ``day`` first happens (see the module docstring)."""
    wall = datetime.combine(day, time(minute // 60, minute % 60))
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first  # exists (the first of two in an overlap: fold=0)
    # In a gap: fold=1 reads the wall time with the offset after the change, a moment before
    # the gap; fold=0 with the offset before, a moment after it. The first minute whose
    # wall time is at or past ``wall`` lies between them.
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = first
    while high - low > timedelta(minutes=1):
        middle = low + (high - low) / 2
        middle = middle.replace(second=0, microsecond=0)
        if middle.astimezone(zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return high


def _days_from(day: date, weekday: int | None) -> Iterator[date]:
    if weekday is not None:
        day += timedelta(days=(weekday - day.weekday()) % 7)
    step = timedelta(days=1 if weekday is None else 7)
    while True:
        yield day
        day += step


def occurrence(day: date, minute: int, zone: ZoneInfo) -> Occurrence:
    return Occurrence(day, due_moment(day, minute, zone))


def next_after(
    moment: datetime,
    minute: int,
    weekday: int | None,
    zone: ZoneInfo,
    *,
    after_date: date | None = None,
) -> Occurrence:
    """The first digest due after ``moment`` (strictly), on a local date after
    ``after_date`` when given (the date just sent or dropped)."""
    start = moment.astimezone(zone).date() - timedelta(days=1)
    if after_date is not None:
        start = max(start, after_date + timedelta(days=1))
    for day in _days_from(start, weekday):
        found = occurrence(day, minute, zone)
        if found.due_at > moment:
            return found
    raise AssertionError("unreachable")  # pragma: no cover


def due_between(
    since: Occurrence, now: datetime, minute: int, weekday: int | None, zone: ZoneInfo
) -> list[Occurrence]:
    """``since`` (already due) and every later occurrence due by ``now``, oldest first."""
    found = [since]
    for day in _days_from(since.local_date + timedelta(days=1), weekday):
        later = occurrence(day, minute, zone)
        if later.due_at > now:
            return found
        found.append(later)
    raise AssertionError("unreachable")  # pragma: no cover


def reschedule(chat: Chat, now: datetime) -> datetime | None:
    """Set the chat's next digest moment from its settings (None while the digest is off):
    called whenever they change. A chat that already had today's digest and moves its time
    later today gets none again: digests are one per local date."""
    if chat.digest_time is None:
        chat.digest_next_at = None
    else:
        zone = ZoneInfo(chat.timezone)
        chat.digest_next_at = next_after(now, chat.digest_time, chat.digest_weekday, zone).due_at
    return chat.digest_next_at
