"""Reporter bylines and photo credits that Korean feeds put in front of the lead.

Real leads start with things like ``[뉴스21 통신=최세영 ]``, ``(성남=경기일보) 안남훈 기자 =`` or a
photo caption line ``▲ 사진제공=중부소방서``. A snippet that spends its first line on them tells the
reader nothing, so they are cut from the lead, and the reporter's name is kept when the article
has no author of its own. Only shapes we can recognise with confidence are touched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME = r"[가-힣]{2,4}"
# [뉴스21 통신=최세영 ]  [서울=뉴시스] 홍길동 기자 =   【성남=경기일보】
_BRACKET = re.compile(
    rf"^\s*[\[【(]\s*(?P<agency>[^\]】)=]{{1,30}}?)\s*=\s*(?P<name>{_NAME})?\s*(?:기자)?\s*[\]】)]\s*"
)
# after a bracketed place=agency: "안남훈 기자 =" or "안남훈 기자"
_REPORTER = re.compile(rf"^\s*(?P<name>{_NAME})\s*(?:기자|특파원|통신원)(?=\s|=|$)\s*=?\s*")
# photo/graphic credits: "▲ 사진제공=중부소방서" up to the end of its line
_CREDIT_LINE = re.compile(r"^\s*[▲△▷■]\s*[^\n]{0,20}?(?:제공|출처|촬영|사진)\s*[=:][^\n]*\n+")
_CREDIT_INLINE = re.compile(r"^\s*[▲△▷■]\s*[가-힣]{0,6}(?:제공|출처|촬영)\s*[=:]\s*\S+\s*")
_TRAILING_EMAIL = re.compile(rf"\s*(?:(?P<name>{_NAME})\s*기자\s*)?[\w.+-]+@[\w-]+\.[\w.]+\s*$")


_OUTLET = re.compile(r"뉴스|통신|일보|신문|방송|닷컴|미디어|타임즈|저널|\d")


def _is_outlet(name: str) -> bool:
    return bool(_OUTLET.search(name))


@dataclass(frozen=True, slots=True)
class CleanLead:
    text: str
    reporter: str | None


def strip_bylines(lead: str) -> CleanLead:
    """Remove recognisable byline and photo-credit prefixes (and a trailing e-mail byline)."""
    text = lead
    reporter: str | None = None
    for _ in range(4):  # prefixes can stack: a credit line, then a bracketed byline
        before = text
        if match := _CREDIT_LINE.match(text):
            text = text[match.end() :]
        elif match := _BRACKET.match(text):
            text = text[match.end() :]
            if after := _REPORTER.match(text):  # [서울=뉴시스] 홍길동 기자 =
                reporter = reporter or after.group("name")
                text = text[after.end() :]
            elif _is_outlet(match.group("agency")) and not _is_outlet(match.group("name") or ""):
                reporter = reporter or match.group("name")  # [뉴스21 통신=최세영 ]
        elif match := _CREDIT_INLINE.match(text):
            text = text[match.end() :]
        if text == before:
            break
    if trailing := _TRAILING_EMAIL.search(text):
        reporter = reporter or trailing.group("name")
        text = text[: trailing.start()]
    return CleanLead(text=text.strip(), reporter=reporter)
