"""The catalogs: every message in both languages, with the same blanks, and Korean
messages free of stray English."""

from __future__ import annotations

import re
import string

import pytest

from newsbot.i18n import CATALOGS

KO, EN = CATALOGS["ko"], CATALOGS["en"]
# English a Korean reader is meant to see: commands and their arguments, settings words the
# bot accepts, names of things. Anything else Latin in a Korean message is a slip.
ALLOWED_LATIN = {
    "day", "week", "month", "off", "on", "section", "UTC", "Asia", "Seoul", "KST", "IT",
    "s", "t", "me", "http", "https", "ko", "en", "URL", "add", "remove", "editor", "admin",
    "telegram", "slack", "console",
}  # fmt: skip


# Dates are written differently: Korean numbers the month, English names it.
OWN_BLANKS = {"time.date"}


def blanks(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_message_is_in_both_languages() -> None:
    assert set(KO) == set(EN)


@pytest.mark.parametrize("key", sorted(set(KO) - OWN_BLANKS))
def test_both_languages_fill_the_same_blanks(key: str) -> None:
    assert blanks(KO[key]) == blanks(EN.get(key, KO[key]))


@pytest.mark.parametrize("key", sorted(KO))
def test_korean_messages_carry_no_stray_english(key: str) -> None:
    without_commands = re.sub(r"/[a-z_]+(@\w+)?|NEWSBOT_[A-Z_]+", "", KO[key])
    without_blanks = re.sub(r"\{[a-z_]+\}", "", without_commands)
    words = set(re.findall(r"[A-Za-z]+", without_blanks))

    assert words <= ALLOWED_LATIN, f"{key}: {sorted(words - ALLOWED_LATIN)}"
