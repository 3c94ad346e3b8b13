"""Period and order words in a query (기간:7일, 이후:2026-11-01, 최신순), and the two letters
a search button carries for them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.search_options import BadToken, Page, describe, period_code, read_token
from newsbot.search.filters import (
    ALL,
    MONTH,
    WEEK,
    BadFilter,
    Filter,
    Period,
    Sort,
    Unit,
    is_filter,
    read_filter,
)
from newsbot.search.query import parse_query
from newsbot.text.analyzer import Analyzer, NoMorphemes

PLAIN = Analyzer(NoMorphemes())
SEOUL = ZoneInfo("Asia/Seoul")
NOON_KST = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)  # a Sunday


@pytest.mark.parametrize(
    ("word", "period"),
    [
        ("기간:7일", Period(Unit.DAYS, 7)),
        ("기간:2주", Period(Unit.WEEKS, 2)),
        ("기간:1개월", Period(Unit.MONTHS, 1)),
        ("기간:3달", Period(Unit.MONTHS, 3)),
        ("기간:1년", Period(Unit.YEARS, 1)),
        ("period:7d", Period(Unit.DAYS, 7)),
        ("PERIOD:1M", Period(Unit.MONTHS, 1)),
        ("기간:오늘", Period(Unit.TODAY)),
        ("기간:이번주", Period(Unit.THIS_WEEK)),
        ("기간:전체", ALL),
        ("이후:2026-11-01", Period(Unit.SINCE, day=date(2026, 11, 1))),
        ("since:2026.11.01", Period(Unit.SINCE, day=date(2026, 11, 1))),
        ("since:2026/11/1", Period(Unit.SINCE, day=date(2026, 11, 1))),
        ("부터:20261101", Period(Unit.SINCE, day=date(2026, 11, 1))),
        ("기간:2026-11-01", Period(Unit.SINCE, day=date(2026, 11, 1))),
    ],
)
def test_period_words_are_read_as_periods(word: str, period: Period) -> None:
    assert read_filter(word) == Filter(period=period)


@pytest.mark.parametrize(
    ("word", "sort"),
    [
        ("최신순", Sort.NEWEST),
        ("관련도순", Sort.RELEVANCE),
        ("정렬:최신", Sort.NEWEST),
        ("sort:newest", Sort.NEWEST),
        ("sort:relevance", Sort.RELEVANCE),
    ],
)
def test_order_words_are_read_as_an_order(word: str, sort: Sort) -> None:
    assert read_filter(word) == Filter(sort=sort)


@pytest.mark.parametrize("word", ["드론", "성남시는", "section:행정", "http://x", "오늘", "최신"])
def test_other_words_are_words_to_search_for(word: str) -> None:
    assert read_filter(word) is None


@pytest.mark.parametrize(
    "word",
    [
        "기간:7주일",
        "기간:",
        "기간:0일",
        "기간:9999년",
        "이후:2026-13-01",
        "이후:2026-02-30",
        "since:yesterday",
        "정렬:인기",
    ],
)
def test_a_filter_word_with_a_bad_value_is_refused(word: str) -> None:
    with pytest.raises(BadFilter):
        read_filter(word)


def test_a_query_keeps_its_words_and_reads_its_filters() -> None:
    parsed = parse_query("드론 기간:7일 최신순 분야:사회", PLAIN)

    assert parsed.words == ["드론"]
    assert (parsed.period, parsed.sort, parsed.section) == (WEEK, Sort.NEWEST, "사회")
    assert parsed.bad_filter is None


def test_a_bad_filter_is_named_as_typed() -> None:
    parsed = parse_query("드론 이후:2026-13-01 이후:어제", PLAIN)

    assert parsed.bad_filter == "이후:2026-13-01"  # the first one


@pytest.mark.parametrize(
    ("period", "start"),
    [
        (Period(Unit.DAYS, 7), datetime(2026, 11, 15, 3, 0, tzinfo=UTC)),
        (Period(Unit.WEEKS, 1), datetime(2026, 11, 15, 3, 0, tzinfo=UTC)),
        (MONTH, datetime(2026, 10, 22, 12, 0, tzinfo=SEOUL)),
        (Period(Unit.YEARS, 1), datetime(2025, 11, 22, 12, 0, tzinfo=SEOUL)),
        (Period(Unit.TODAY), datetime(2026, 11, 22, tzinfo=SEOUL)),
        (Period(Unit.THIS_WEEK), datetime(2026, 11, 16, tzinfo=SEOUL)),  # Monday
        (Period(Unit.SINCE, day=date(2026, 11, 1)), datetime(2026, 11, 1, tzinfo=SEOUL)),
        (ALL, None),
    ],
)
def test_a_period_starts_where_a_seoul_reader_expects(
    period: Period, start: datetime | None
) -> None:
    assert period.start(NOON_KST, SEOUL) == start


def test_a_month_before_the_31st_is_the_end_of_a_shorter_month() -> None:
    march_31 = datetime(2027, 3, 31, 12, 0, tzinfo=SEOUL)

    assert MONTH.start(march_31, SEOUL) == datetime(2027, 2, 28, 12, 0, tzinfo=SEOUL)


# --- the buttons' two letters -------------------------------------------------------------


def test_a_page_token_carries_order_and_period_in_two_letters() -> None:
    page = Page(70, 3, "n", "w")

    assert page.token("sr", "1y") == "sr:1y:3:nw"
    assert read_token("sr:1y:3:nw") == page
    assert (page.sort_choice, page.period_choice) == (Sort.NEWEST, WEEK)


def test_a_token_from_before_the_letters_reads_as_typed() -> None:
    page = read_token("sr:1a:2")

    assert (page.query_id, page.number, page.sort_choice, page.period_choice) == (46, 2, None, None)


@pytest.mark.parametrize(
    "token",
    ["sr:1a", "sr:1a:2:xx", "sr:1a:2:n", "sr:1a:2:nww", "sr:??:2", "sr:0:1", "sr:1a:0:rt",
     "sr:1a:2:rt:extra", "sr:zzzzzzz:1:rt"],
)  # fmt: skip
def test_a_token_we_could_not_have_made_is_refused(token: str) -> None:
    with pytest.raises(BadToken):
        read_token(token)


def test_the_period_buttons_stand_for_the_periods_typed_alike() -> None:
    assert period_code(None) == period_code(ALL) == "a"
    assert period_code(Period(Unit.DAYS, 7)) == period_code(Period(Unit.WEEKS, 1)) == "w"
    assert period_code(MONTH) == "m"
    assert period_code(Period(Unit.DAYS, 3)) is None


def test_the_filter_line_reads_naturally_in_both_languages() -> None:
    since = Period(Unit.SINCE, day=date(2026, 11, 1))

    assert describe("ko", WEEK, Sort.NEWEST) == "최근 7일 · 최신순"
    assert describe("ko", since, Sort.RELEVANCE) == "2026-11-01 이후 · 관련도순"
    assert describe("en", Period(Unit.TODAY), Sort.NEWEST) == "today · newest first"


@pytest.mark.parametrize(
    ("word", "filtering"),
    [("기간:7일", True), ("최신순", True), ("이후:2026-13-01", True), ("드론", False),
     ("분야:행정", False)],
)  # fmt: skip
def test_filter_words_are_told_apart_from_words_to_search(word: str, filtering: bool) -> None:
    assert is_filter(word) is filtering
