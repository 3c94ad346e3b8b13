"""The period and order of a search as its buttons carry them, and as a reply words them.

A search's buttons are ``sr:<saved query id, base 36>:<page>:<order><period>``: two letters
beyond the page say what the reader chose by button, so paging keeps the choice and the
token stays a few bytes whatever the query (Telegram allows 64). ``t`` in either place
means "as typed in the query" (``기간:7일``, ``최신순``), kept in the saved query's text.
Tokens from before these letters existed (``sr:1a:2``) read as ``tt``.
"""

from __future__ import annotations

from dataclasses import dataclass

from newsbot.i18n import t
from newsbot.search import filters
from newsbot.search.filters import Period, Sort, Unit

_SORTS = {"t": None, "r": Sort.RELEVANCE, "n": Sort.NEWEST}
_PERIODS = {"t": None, "a": filters.ALL, "w": filters.WEEK, "m": filters.MONTH}
# The period buttons, in order: code, label key, and the periods they stand for.
PERIOD_BUTTONS = (
    ("a", "button.period_all", (filters.ALL,)),
    ("w", "button.period_week", (filters.WEEK, Period(Unit.WEEKS, 1))),
    ("m", "button.period_month", (filters.MONTH,)),
)


class BadToken(ValueError):
    """A search button we could not have made."""


@dataclass(frozen=True, slots=True)
class Page:
    query_id: int
    number: int
    sort: str = "t"  # a key of _SORTS
    period: str = "t"  # a key of _PERIODS

    @property
    def sort_choice(self) -> Sort | None:
        return _SORTS[self.sort]

    @property
    def period_choice(self) -> Period | None:
        return _PERIODS[self.period]

    def token(self, prefix: str, ident: str) -> str:
        return f"{prefix}:{ident}:{self.number}:{self.sort}{self.period}"


def read_token(token: str) -> Page:
    """``sr:<id>:<page>[:<order><period>]``; BadToken for anything else."""
    parts = token.split(":")
    if len(parts) not in (3, 4):
        raise BadToken(token)
    options = parts[3] if len(parts) == 4 else "tt"
    try:
        query_id, number = int(parts[1], 36), int(parts[2])
    except ValueError:
        raise BadToken(token) from None
    if not 0 < query_id < 2**31 or not 0 < number < 10_000:
        raise BadToken(token)
    if len(options) != 2 or options[0] not in _SORTS or options[1] not in _PERIODS:
        raise BadToken(token)
    return Page(query_id, number, options[0], options[1])


def period_code(period: Period | None) -> str | None:
    """The button standing for this period, if one does."""
    for code, _, periods in PERIOD_BUTTONS:
        if (period or filters.ALL) in periods:
            return code
    return None


def describe(locale: str, period: Period | None, sort: Sort) -> str:
    """``최근 7일 · 최신순``: the filter and order in force, for the reply."""
    return t(
        locale, "search.filters", period=period_text(locale, period), sort=sort_text(locale, sort)
    )


def sort_text(locale: str, sort: Sort) -> str:
    return t(locale, "search.sort_newest" if sort is Sort.NEWEST else "search.sort_relevance")


def period_text(locale: str, period: Period | None) -> str:
    if period is None or period.unit is Unit.ALL:
        return t(locale, "search.period_all")
    if period.unit is Unit.SINCE:
        assert period.day is not None
        return t(locale, "search.period_since", date=period.day.isoformat())
    if period.unit in (Unit.TODAY, Unit.THIS_WEEK):
        return t(locale, f"search.period_{period.unit.value}")
    return t(locale, f"search.period_{period.unit.value}", n=period.count)
