"""When a digest falls due: the chat's wall clock, daylight saving included."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from newsbot.config import load_settings
from newsbot.digest.schedule import due_moment, next_after
from newsbot.errors import ConfigError

NEW_YORK = ZoneInfo("America/New_York")
SEOUL = ZoneInfo("Asia/Seoul")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")  # half-hour daylight saving


@pytest.mark.parametrize(
    ("day", "minute", "zone", "due"),
    [
        (date(2026, 12, 7), 8 * 60, SEOUL, datetime(2026, 12, 6, 23, 0, tzinfo=UTC)),
        # No 02:30 on 8 March in New York: the first minute after the gap, 03:00 EDT.
        (date(2026, 3, 8), 150, NEW_YORK, datetime(2026, 3, 8, 7, 0, tzinfo=UTC)),
        (date(2026, 3, 8), 179, NEW_YORK, datetime(2026, 3, 8, 7, 0, tzinfo=UTC)),
        (date(2026, 3, 8), 180, NEW_YORK, datetime(2026, 3, 8, 7, 0, tzinfo=UTC)),
        # Two 01:30s on 1 November: the first (EDT).
        (date(2026, 11, 1), 90, NEW_YORK, datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
        # Lord Howe springs forward half an hour at 02:00 on 4 October 2026.
        (date(2026, 10, 4), 135, LORD_HOWE, datetime(2026, 10, 3, 15, 30, tzinfo=UTC)),
    ],
)
def test_a_digest_falls_due_when_the_chats_clock_first_shows_its_time(
    day: date, minute: int, zone: ZoneInfo, due: datetime
) -> None:
    assert due_moment(day, minute, zone) == due


def test_the_next_digest_is_strictly_after_now_and_on_its_weekday() -> None:
    eight = datetime(2026, 12, 6, 23, 0, tzinfo=UTC)  # Monday 7 December, 08:00 in Seoul

    assert next_after(eight, 480, None, SEOUL).local_date == date(2026, 12, 8)
    assert next_after(eight, 481, None, SEOUL).local_date == date(2026, 12, 7)
    assert next_after(eight, 480, 3, SEOUL).local_date == date(2026, 12, 10)  # Thursday
    after_today = next_after(eight, 600, None, SEOUL, after_date=date(2026, 12, 7))
    assert after_today.local_date == date(2026, 12, 8)


@pytest.mark.parametrize(
    ("value", "seconds"), [("3h", 10800), ("90m", 5400), ("600s", 600), ("45", 45), ("0", 0)]
)
def test_the_digest_grace_reads_hours_minutes_or_seconds(value: str, seconds: int) -> None:
    grace = load_settings(_env_file=None, digest_grace=value).digest_grace
    assert grace.total_seconds() == seconds


def test_a_digest_grace_that_is_no_duration_names_the_setting() -> None:
    with pytest.raises(ConfigError, match="NEWSBOT_DIGEST_GRACE='soon'"):
        load_settings(_env_file=None, digest_grace="soon")
