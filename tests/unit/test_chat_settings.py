"""Reading what readers type into settings, and when quiet hours end."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newsbot.delivery.chat_settings import (
    ChatSettings,
    SettingError,
    parse_quiet_hours,
    parse_time,
    set_digest_time,
    set_language,
    set_link_previews,
)
from newsbot.delivery.quiet import format_minutes, is_quiet, quiet_release
from newsbot.store.delivery_models import Chat

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
NIGHT = (23 * 60, 7 * 60)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("23:00-07:00", NIGHT),
        (" 23:00 ~ 07:00 ", NIGHT),
        ("23:00–07:00", NIGHT),
        ("23 to 7", NIGHT),
        ("23시부터 7시까지", NIGHT),
        ("23시 30분-6시", (23 * 60 + 30, 6 * 60)),
        ("2330-0600", (23 * 60 + 30, 6 * 60)),
        ("9:05-18:00", (9 * 60 + 5, 18 * 60)),
        ("22:00-24:00", (22 * 60, 0)),  # a range may end at 24:00
        ("밤 11시-아침 7시", NIGHT),
        ("밤 11시부터 아침 7시까지", NIGHT),
        ("오후 10시 반 - 오전 6시", (22 * 60 + 30, 6 * 60)),
        ("11pm-7am", NIGHT),
        ("off", None),
        ("OFF", None),
        ("끄기", None),
    ],
)
def test_quiet_hours_are_read_as_readers_write_them(
    text: str, minutes: tuple[int, int] | None
) -> None:
    assert parse_quiet_hours(text) == minutes


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("23:00", "settings.quiet.format"),
        ("밤에", "settings.quiet.format"),
        ("23:00-07:00-09:00", "settings.quiet.format"),
        ("-07:00", "settings.quiet.format"),
        ("25:00-07:00", "settings.time.range"),
        ("23:00-07:60", "settings.time.range"),
        ("24:30-07:00", "settings.time.range"),
        ("07:00-7시", "settings.quiet.same"),
    ],
)
def test_quiet_hours_that_cannot_be_read_say_why(text: str, key: str) -> None:
    with pytest.raises(SettingError) as raised:
        parse_quiet_hours(text)
    assert raised.value.key == key


def test_a_setting_error_speaks_the_readers_language() -> None:
    with pytest.raises(SettingError) as raised:
        parse_quiet_hours("밤에")

    assert str(raised.value) == (
        "‘밤에’ is not a time range. Write quiet hours as start-end on a 24-hour clock,"
        " e.g. 23:00-07:00, or ‘off’ to turn them off."
    )
    assert raised.value.localized("ko") == (
        "‘밤에’은(는) 시간 범위가 아닙니다. 방해 금지 시간은 23:00-07:00처럼"
        " 24시간제로 시작-끝을 적어 주세요. 끄려면 ‘off’라고 보내 주세요."
    )
    assert raised.value.localized("en-US") == str(raised.value)


def test_a_long_mistake_is_quoted_back_shortened() -> None:
    with pytest.raises(SettingError) as raised:
        parse_time("x" * 500)
    assert len(raised.value.localized("ko")) < 100


def test_times_of_day() -> None:
    assert [parse_time(t) for t in ("0:00", "07:30", "7시", "7시 5분", "1945")] == [
        0,
        450,
        420,
        425,
        19 * 60 + 45,
    ]
    assert format_minutes(450) == "07:30"


@pytest.mark.parametrize(
    ("minute", "window", "quiet"),
    [
        (23 * 60, NIGHT, True),
        (0, NIGHT, True),
        (7 * 60 - 1, NIGHT, True),
        (7 * 60, NIGHT, False),
        (12 * 60, NIGHT, False),
        (13 * 60, (13 * 60, 14 * 60), True),
        (14 * 60, (13 * 60, 14 * 60), False),
        (5, (5, 5), False),
    ],
)
def test_which_minutes_are_quiet(minute: int, window: tuple[int, int], quiet: bool) -> None:
    assert is_quiet(minute, *window) is quiet


def test_an_overnight_window_ends_the_next_morning_in_the_chats_zone() -> None:
    before_midnight = datetime(2026, 11, 23, 14, 30, tzinfo=UTC)  # 23:30 KST
    after_midnight = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)  # 01:00 KST
    seven = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)  # 07:00 KST on the 24th

    assert quiet_release(before_midnight, *NIGHT, "Asia/Seoul") == seven
    assert quiet_release(after_midnight, *NIGHT, "Asia/Seoul") == seven
    assert quiet_release(NOW, *NIGHT, "Asia/Seoul") is None  # noon in Seoul
    assert quiet_release(NOW, None, None, "Asia/Seoul") is None


def test_the_night_the_clocks_go_back_still_ends_at_the_local_time() -> None:
    # New York leaves daylight saving at 02:00 on 1 November 2026.
    eleven_pm_edt = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
    six_am_est = datetime(2026, 11, 1, 11, 0, tzinfo=UTC)

    assert quiet_release(eleven_pm_edt, 22 * 60, 6 * 60, "America/New_York") == six_am_est


def test_settings_of_a_chat() -> None:
    chat = Chat(language="ko", timezone="Asia/Seoul", link_previews=True)

    assert set_language(chat, "English", now=NOW) == "en"
    assert set_language(chat, "ko-KR", now=NOW) == "ko"
    assert set_digest_time(chat, "07:30", now=NOW) == 450
    assert set_link_previews(chat, False, now=NOW) is False
    chat.quiet_start, chat.quiet_end = NIGHT

    assert ChatSettings.of(chat) == ChatSettings("ko", "Asia/Seoul", NIGHT, False, 450)
    assert set_digest_time(chat, "off", now=NOW) is None
    assert chat.updated_at == NOW


def test_unknown_languages_and_impossible_times_are_refused() -> None:
    chat = Chat(language="ko")

    with pytest.raises(SettingError) as language:
        set_language(chat, "français", now=NOW)
    with pytest.raises(SettingError) as minutes:
        set_digest_time(chat, 24 * 60, now=NOW)

    assert language.value.localized("en") == (
        "‘français’ is not a language newsbot speaks: choose ko, en."
    )
    assert minutes.value.key == "settings.time.range"
    assert chat.language == "ko"


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("오전 7시", 7 * 60),
        ("아침 7시 반", 7 * 60 + 30),
        ("오후 7시", 19 * 60),
        ("저녁 6시 30분", 18 * 60 + 30),
        ("밤 11시", 23 * 60),
        ("밤 12시", 0),
        ("새벽 2시", 2 * 60),
        ("낮 2시", 14 * 60),
        ("오전 12시", 0),
        ("오후 12시", 12 * 60),
        ("정오", 12 * 60),
        ("자정", 0),
        ("7:30 pm", 19 * 60 + 30),
        ("7am", 7 * 60),
    ],
)
def test_times_as_koreans_and_english_speakers_say_them(text: str, minutes: int) -> None:
    assert parse_time(text) == minutes


@pytest.mark.parametrize("text", ["24:00", "24시", "오후 13시", "오전 0시", "25:00"])
def test_what_is_not_a_time_of_day_says_so(text: str) -> None:
    with pytest.raises(SettingError) as raised:
        parse_time(text)
    assert raised.value.key == "settings.time.range"
