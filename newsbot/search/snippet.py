"""Snippets: the part of an article that shows why it matched, with the matches marked.

Marks are character ranges, not markup, so each platform renderer can escape the text and
make the ranges bold in its own syntax.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

SNIPPET_CHARS = 140
_LEAD_IN = 30  # characters shown before the first match


@dataclass(frozen=True, slots=True)
class Marked:
    text: str
    marks: tuple[tuple[int, int], ...]  # [start, end) ranges in text, sorted, disjoint


def find_marks(text: str, terms: Sequence[str]) -> tuple[tuple[int, int], ...]:
    """Where any of the terms occurs in text, ignoring case; overlapping hits merged."""
    wanted = {t for t in terms if t.strip()}
    if not wanted or not text:
        return ()
    # Each term on its own: one alternation scan cannot see overlapping hits (성남시 / 시청).
    spans = sorted(
        m.span() for term in wanted for m in re.finditer(re.escape(term), text, re.IGNORECASE)
    )
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def _cut(text: str, start: int, width: int) -> tuple[int, int]:
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start + width // 2, end)
        end = space if space > 0 else end
    if start > 0:
        space = text.find(" ", start, start + 15)
        start = space + 1 if space >= 0 else start
    return start, end


def make_snippet(lead: str, body: str, terms: Sequence[str], width: int = SNIPPET_CHARS) -> Marked:
    """A window of the lead or body around the first match (the lead's start when none)."""
    lead, body = " ".join(lead.split()), " ".join(body.split())  # one line, as matched
    text = lead
    marks = find_marks(lead, terms)
    if not marks and body:
        body_marks = find_marks(body, terms)
        if body_marks:
            text, marks = body, body_marks
    first = marks[0][0] if marks else 0
    start, end = _cut(text, max(0, first - _LEAD_IN), width)
    window = text[start:end]
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix) - start
    inside = tuple(
        (max(s, start) + shift, min(e, end) + shift) for s, e in marks if s < end and e > start
    )
    return Marked(prefix + window + suffix, inside)
