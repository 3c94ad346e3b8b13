"""“이것을 찾으셨나요?”: indexed words close to what a reader typed, when a search finds little.

A word is close when few jamo separate them (``newsbot.text.jamo``): ``드로`` is one edit
from ``드론``. Candidates come from the vocabulary of title words (``search_words``) that
share a syllable and are about as long; each is then searched for, and only those that find
more than the reader's own query are offered. The reader's query is never replaced: the
suggestions are offered as searches to run (buttons, on the chat platforms).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.search.engine import SEOUL, SearchResult, search
from newsbot.search.filters import Sort
from newsbot.store.search_words import words_near
from newsbot.text.analyzer import Analyzer
from newsbot.text.jamo import jamo, jamo_distance

# A search that finds fewer articles than this, or not every word, gets suggestions.
SUGGEST_BELOW = 3
MOST_SUGGESTIONS = 3
CHECKED = 8  # closest candidates searched for before giving up


@dataclass(frozen=True, slots=True)
class Suggestion:
    word: str  # the indexed word offered
    text: str  # the reader's query with that word in place of the typo
    found: int  # what it finds (at most the engine's CANDIDATES)


def most_edits(word: str) -> int:
    """How many jamo may be wrong: one in a short word, more in longer ones."""
    spelled = len(jamo(word))
    return 1 if spelled <= 4 else 2 if spelled <= 8 else 3


def _pieces(word: str) -> set[str]:
    """What a candidate must share with the word: a syllable of a two-syllable word, else
    one of its syllable pairs (a typo in one place of 성남시능 leaves 성남 or 남시 intact).
    Sharing a pair keeps the candidates of a long word to hundreds in a vocabulary of
    75,000, not thousands (bench/search_beyond.py)."""
    if len(word) < 3:
        return set(word)
    return {word[i : i + 2] for i in range(len(word) - 1)}


async def closest_words(session: AsyncSession, word: str) -> list[tuple[int, str]]:
    """(edits, word) for the indexed words within ``most_edits`` of ``word``, closest first."""
    limit = most_edits(word)
    shortest, longest = max(2, len(word) - 1), len(word) + 1
    near = await words_near(session, shortest, longest, _pieces(word))
    spelled = len(jamo(word))
    scored = (
        (jamo_distance(word, candidate, most=limit), candidate)
        for candidate in near
        if abs(len(jamo(candidate)) - spelled) <= limit  # cheaper than the distance
    )
    return sorted(
        ((edits, c) for edits, c in scored if 0 < edits <= limit),
        key=lambda item: (item[0], abs(len(item[1]) - len(word)), item[1]),
    )


def _replaced(text: str, analyzer: Analyzer, word: str, suggestion: str) -> str | None:
    """The query with the piece that reads as ``word`` replaced by the suggestion."""
    pieces = text.split()
    for n, piece in enumerate(pieces):
        if piece.startswith(("-", '"')) or ":" in piece:
            continue
        read = analyzer.query_word(piece)
        if read is not None and read.text == word:
            return " ".join([*pieces[:n], suggestion, *pieces[n + 1 :]])
    return None


async def suggest(
    session: AsyncSession,
    analyzer: Analyzer,
    text: str,
    result: SearchResult,
    *,
    now: datetime,
    zone: ZoneInfo = SEOUL,
) -> list[Suggestion]:
    """At most MOST_SUGGESTIONS searches close to ``text`` that find more than ``result``
    did, or find every word where it fell back to some; none when it found enough."""
    if result.query.bad_filter or (result.total >= SUGGEST_BELOW and not result.fell_back):
        return []
    candidates: list[tuple[int, str, str]] = []
    for term in result.query.terms:
        if not term.word:
            continue
        for edits, word in await closest_words(session, term.word):
            candidates.append((edits, term.word, word))
    candidates.sort(key=lambda item: item[0])
    found: list[Suggestion] = []
    seen: set[str] = set()
    for _, typed, word in candidates[:CHECKED]:
        replaced = _replaced(text, analyzer, typed, word)
        if replaced is None or replaced in seen:
            continue
        seen.add(replaced)
        tried = await search(
            session,
            analyzer,
            replaced,
            now=now,
            limit=1,
            section=result.query.section,
            period=result.query.period,
            sort=Sort.NEWEST,  # counting only: no need to score
            zone=zone,
        )
        finds_all = result.fell_back and tried.total and not tried.fell_back
        if finds_all or tried.total > result.total:
            found.append(Suggestion(word=word, text=replaced, found=tried.total))
        if len(found) == MOST_SUGGESTIONS:
            break
    return found
