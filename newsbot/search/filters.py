"""The period and order words of a search: ``기간:7일``, ``이후:2026-11-01``, ``최신순``.

A reader narrows a search to recent news by typing a word, or by pressing a button on the
reply; both come here. Periods stay relative (``기간:7일`` means the seven days before the
search runs, every time a page is turned) and dates are days in the newsroom's zone, so
``이후:2026-11-01`` starts at midnight in Seoul, not in UTC.

    기간:7일  기간:2주  기간:1개월  기간:1년  기간:오늘  기간:이번주   period:7d …
    이후:2026-11-01  since:2026-11-01  (also 2026.11.01, 2026/11/01, 20261101)
    최신순 / 정렬:최신  newest first;  관련도순 / 정렬:관련도  best match first (the default)
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_DAYS = 3660  # ten years: more is no filter at all, and likely a typo


class Sort(enum.StrEnum):
    RELEVANCE = "r"  # the letter is the button code
    NEWEST = "n"


class Unit(enum.StrEnum):
    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"
    YEARS = "years"
    SINCE = "since"  # from a date on
    TODAY = "today"  # since midnight
    THIS_WEEK = "this_week"  # since Monday's midnight
    ALL = "all"  # no limit (a button's choice, overriding a typed period)


@dataclass(frozen=True, slots=True)
class Period:
    unit: Unit
    count: int = 0
    day: date | None = None  # for SINCE

    def start(self, now: datetime, zone: ZoneInfo) -> datetime | None:
        """The earliest publication time this period lets through; None: no limit."""
        local = now.astimezone(zone)
        midnight = datetime.combine(local.date(), time(), zone)
        match self.unit:
            case Unit.ALL:
                return None
            case Unit.DAYS:
                return now - timedelta(days=self.count)
            case Unit.WEEKS:
                return now - timedelta(weeks=self.count)
            case Unit.MONTHS:
                return _months_before(local, self.count)
            case Unit.YEARS:
                return _months_before(local, 12 * self.count)
            case Unit.TODAY:
                return midnight
            case Unit.THIS_WEEK:
                return midnight - timedelta(days=local.weekday())
            case Unit.SINCE:
                assert self.day is not None
                return datetime.combine(self.day, time(), zone)


ALL = Period(Unit.ALL)
WEEK = Period(Unit.DAYS, 7)
MONTH = Period(Unit.MONTHS, 1)

_PERIOD_KEYS = ("기간", "period")
_SINCE_KEYS = ("이후", "since", "부터")
_SORT_KEYS = ("정렬", "sort")
_SORT_WORDS = {
    "최신순": Sort.NEWEST,
    "관련도순": Sort.RELEVANCE,
    "정확도순": Sort.RELEVANCE,
}
_SORT_VALUES = {
    "최신": Sort.NEWEST,
    "최신순": Sort.NEWEST,
    "newest": Sort.NEWEST,
    "new": Sort.NEWEST,
    "date": Sort.NEWEST,
    "관련도": Sort.RELEVANCE,
    "관련도순": Sort.RELEVANCE,
    "정확도": Sort.RELEVANCE,
    "relevance": Sort.RELEVANCE,
}
_AMOUNT = re.compile(r"^(\d{1,4})\s*(일|주|개월|달|년|d|days?|w|weeks?|m|months?|y|years?)$")
_UNITS = {
    "일": Unit.DAYS,
    "d": Unit.DAYS,
    "day": Unit.DAYS,
    "days": Unit.DAYS,
    "주": Unit.WEEKS,
    "w": Unit.WEEKS,
    "week": Unit.WEEKS,
    "weeks": Unit.WEEKS,
    "개월": Unit.MONTHS,
    "달": Unit.MONTHS,
    "m": Unit.MONTHS,
    "month": Unit.MONTHS,
    "months": Unit.MONTHS,
    "년": Unit.YEARS,
    "y": Unit.YEARS,
    "year": Unit.YEARS,
    "years": Unit.YEARS,
}
_DAYS_PER = {Unit.DAYS: 1, Unit.WEEKS: 7, Unit.MONTHS: 31, Unit.YEARS: 366}
_NAMED = {
    "오늘": Period(Unit.TODAY),
    "today": Period(Unit.TODAY),
    "이번주": Period(Unit.THIS_WEEK),
    "thisweek": Period(Unit.THIS_WEEK),
    "전체": ALL,
    "all": ALL,
}
_DATE = re.compile(r"^(\d{4})[-./]?(\d{1,2})[-./]?(\d{1,2})\.?$")


class BadFilter(ValueError):
    """A period or order word whose value makes no sense (``기간:7주일``, ``이후:2026-13-01``);
    the message is the word as typed, for the reader's answer."""


@dataclass(frozen=True, slots=True)
class Filter:
    period: Period | None = None
    sort: Sort | None = None


def read_filter(word: str) -> Filter | None:
    """What a query word sets, None when it is an ordinary word to search for.

    Raises BadFilter for a filter word (``기간:…``, ``이후:…``, ``정렬:…``) with a bad value.
    """
    lowered = word.lower()
    if lowered in _SORT_WORDS:
        return Filter(sort=_SORT_WORDS[lowered])
    key, colon, value = lowered.partition(":")
    if not colon:
        return None
    value = value.strip()
    if key in _SORT_KEYS:
        if value not in _SORT_VALUES:
            raise BadFilter(word)
        return Filter(sort=_SORT_VALUES[value])
    if key in _PERIOD_KEYS:
        return Filter(period=_period(value, word))
    if key in _SINCE_KEYS:
        return Filter(period=Period(Unit.SINCE, day=_date(value, word)))
    return None


def is_filter(word: str) -> bool:
    """Whether a query word sets a period or an order (well or badly) instead of searching."""
    try:
        return read_filter(word) is not None
    except BadFilter:
        return True


def _period(value: str, word: str) -> Period:
    compact = value.replace(" ", "")
    if compact in _NAMED:
        return _NAMED[compact]
    amount = _AMOUNT.match(compact)
    if amount is None:
        if _DATE.match(compact):  # 기간:2026-11-01 reads as "since then"
            return Period(Unit.SINCE, day=_date(compact, word))
        raise BadFilter(word)
    count, unit = int(amount.group(1)), _UNITS[amount.group(2)]
    if not 1 <= count * _DAYS_PER[unit] <= MAX_DAYS:
        raise BadFilter(word)
    return Period(unit, count)


def _date(value: str, word: str) -> date:
    found = _DATE.match(value)
    if found is None:
        raise BadFilter(word)
    try:
        return date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
    except ValueError:
        raise BadFilter(word) from None


def _months_before(local: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (the month's last day when
    it is shorter: a month before 31 March is 28 or 29 February)."""
    month_index = local.year * 12 + local.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    day = local.day
    while True:
        try:
            return local.replace(year=year, month=month, day=day)
        except ValueError:
            day -= 1
