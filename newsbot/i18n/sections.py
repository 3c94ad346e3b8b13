"""Section names for readers of other languages: English readers see ``Sports (스포츠)``.

Newsrooms name their sections in Korean; these are the names Korean papers commonly use.
A section not listed here is shown as the newsroom wrote it. Tokens and stored values stay
Korean: only what is shown changes.
"""

from __future__ import annotations

from newsbot.i18n import locale_of

ENGLISH = {
    "정치": "Politics",
    "경제": "Economy",
    "사회": "Society",
    "문화": "Culture",
    "스포츠": "Sports",
    "국제": "World",
    "세계": "World",
    "연예": "Entertainment",
    "과학": "Science",
    "생활": "Living",
    "오피니언": "Opinion",
    "사설": "Editorials",
    "지역": "Local",
    "행정": "Local government",
    "교육": "Education",
    "건강": "Health",
    "부동산": "Real estate",
    "산업": "Industry",
    "날씨": "Weather",
    "의회": "Council",
    "복지": "Welfare",
    "환경": "Environment",
    "사건사고": "Incidents",
}


def section_name(section: str, locale: str) -> str:
    if locale_of(locale) == "en" and section in ENGLISH:
        return f"{ENGLISH[section]} ({section})"
    return section
