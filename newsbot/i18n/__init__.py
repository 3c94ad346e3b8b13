"""What readers read, in their language. Handlers name a message; the catalogs word it.

Korean is the default: a Telegram ``language_code`` of ``en``/``en-US`` gets English,
anything else Korean.
"""

from __future__ import annotations

from datetime import date

from newsbot.i18n import en, ko

CATALOGS: dict[str, dict[str, str]] = {"ko": ko.MESSAGES, "en": en.MESSAGES}
DEFAULT_LOCALE = "ko"


def locale_of(code: str | None) -> str:
    base = (code or "").split("-")[0].split("_")[0].lower()
    return base if base in CATALOGS else DEFAULT_LOCALE


def t(locale: str, key: str, **values: object) -> str:
    catalog = CATALOGS.get(locale_of(locale), CATALOGS[DEFAULT_LOCALE])
    template = catalog.get(key) or CATALOGS[DEFAULT_LOCALE][key]
    return template.format(**values)


def has(locale: str, key: str) -> bool:
    """Whether a message exists (in the locale or the default): optional wording, such as
    the help line of a command registered without one."""
    return key in CATALOGS.get(locale_of(locale), {}) or key in CATALOGS[DEFAULT_LOCALE]


def digest_title(locale: str, day: date, *, weekly: bool = False) -> str:
    """``12월 7일 (월) 가장 많이 본 뉴스`` (or ``Most read · Mon, Dec 7``) for a local date."""
    key = "digest.title_weekly" if weekly else "digest.title"
    weekday = t(locale, "digest.weekdays").split()[day.weekday()]
    month = t(locale, "digest.months").split()[day.month - 1]
    return t(locale, key, month=month, day=day.day, weekday=weekday)
