"""Hangul spelled out in jamo, and how far apart two words are when spelled that way.

A typo in Korean is usually one jamo: 성남시능 for 성남시는 (ㅇ for ㄴ), 드로 for 드론 (a
final consonant left off). Counted in syllables both are as far from the word as a wholly
different syllable would be; counted in jamo they are one edit away. Search uses this to
offer the indexed words a reader most likely meant (``newsbot.search.suggest``).
"""

from __future__ import annotations

_FIRST, _LAST = 0xAC00, 0xD7A3  # 가 … 힣
_INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_MEDIALS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
_FINALS = ("", *"ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ")


def jamo(text: str) -> str:
    """Every Hangul syllable as its initial, medial and (if any) final jamo; anything else
    as it is: ``드론`` → ``ㄷㅡㄹㅗㄴ``, ``AI칩`` → ``AIㅊㅣㅂ``."""
    out: list[str] = []
    for char in text:
        code = ord(char)
        if _FIRST <= code <= _LAST:
            offset = code - _FIRST
            initial, rest = divmod(offset, 21 * 28)
            medial, final = divmod(rest, 28)
            out.append(_INITIALS[initial] + _MEDIALS[medial] + _FINALS[final])
        else:
            out.append(char)
    return "".join(out)


def edit_distance(a: str, b: str, *, most: int | None = None) -> int:
    """Levenshtein distance (insert, delete, substitute: 1 each). With ``most``, any
    distance beyond it is reported as ``most + 1`` as soon as it is certain."""
    if len(a) < len(b):
        a, b = b, a
    if most is not None and len(a) - len(b) > most:
        return most + 1
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(
                min(
                    previous[j] + 1,
                    current[j - 1] + 1,
                    previous[j - 1] + (char_a != char_b),
                )
            )
        if most is not None and min(current) > most:
            return most + 1
        previous = current
    return previous[-1]


def jamo_distance(a: str, b: str, *, most: int | None = None) -> int:
    """Edits between two words spelled in jamo: ``드로`` and ``드론`` are 1 apart."""
    return edit_distance(jamo(a), jamo(b), most=most)
