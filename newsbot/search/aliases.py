"""The newsroom's search aliases: ``AI`` finds ``인공지능``, ``LH`` finds ``한국토지주택공사``.

Aliases are symmetric pairs (a search for either word finds both) and one hop deep (see
``SearchAlias``). They are read at query time, so an alias added with ``newsbot search
aliases add`` works on the next search, on both stores, without reindexing anything. Words
are folded like the index (NFKC, lower case) and written without particles: ``AI``, not
``AI는`` (a reader's ``AI는`` is read as ``ai`` before the look-up).

A default list of common Korean news aliases is seeded once by migration 0012s.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.store.models import SearchAlias
from newsbot.text.analyzer import fold, strip_controls

MAX_ALIAS_CHARS = 100


class BadAlias(ValueError):
    """A pair that cannot be an alias: an empty or over-long word, or a word and itself."""


def normalize(word: str) -> str:
    return " ".join(fold(strip_controls(word)).split())


def _pair(word: str, alias: str) -> tuple[str, str]:
    a, b = normalize(word), normalize(alias)
    if not a or not b:
        raise BadAlias("a word and its alias must both have letters")
    if a == b:
        raise BadAlias(f"{a!r} is the same word as its alias")
    if max(len(a), len(b)) > MAX_ALIAS_CHARS:
        raise BadAlias(f"a word has at most {MAX_ALIAS_CHARS} characters")
    first, second = sorted((a, b))
    return first, second


async def add_alias(session: AsyncSession, word: str, alias: str) -> bool:
    """Make ``alias`` find ``word`` and the reverse; False when they already do."""
    first, second = _pair(word, alias)
    existing = await session.scalar(
        select(SearchAlias.id).where(SearchAlias.word == first, SearchAlias.alias == second)
    )
    if existing is not None:
        return False
    session.add(SearchAlias(word=first, alias=second))
    await session.flush()
    return True


async def remove_alias(session: AsyncSession, word: str, alias: str) -> bool:
    """Undo ``add_alias`` (a default pair too); False when there was no such pair."""
    first, second = _pair(word, alias)
    removed = await session.execute(
        delete(SearchAlias).where(SearchAlias.word == first, SearchAlias.alias == second)
    )
    return bool(getattr(removed, "rowcount", 0))


async def list_aliases(session: AsyncSession) -> list[tuple[str, str]]:
    rows = await session.execute(
        select(SearchAlias.word, SearchAlias.alias).order_by(SearchAlias.word, SearchAlias.alias)
    )
    return [(word, alias) for word, alias in rows]


async def aliases_of(session: AsyncSession, words: list[str]) -> dict[str, list[str]]:
    """Each word's aliases, for the words that have any (one query for the whole search)."""
    keys = sorted({normalize(w) for w in words if w})
    if not keys:
        return {}
    rows = await session.execute(
        select(SearchAlias.word, SearchAlias.alias).where(
            or_(SearchAlias.word.in_(keys), SearchAlias.alias.in_(keys))
        )
    )
    found: dict[str, list[str]] = {}
    for word, alias in rows:
        if word in keys:
            found.setdefault(word, []).append(alias)
        if alias in keys:
            found.setdefault(alias, []).append(word)
    return {key: sorted(values) for key, values in found.items()}


@dataclass(slots=True)
class ImportReport:
    added: int = 0
    known: int = 0  # pairs that were there already
    problems: list[str] = field(default_factory=list)  # "line 3: …"


async def import_aliases(session: AsyncSession, text: str) -> ImportReport:
    """Pairs from CSV text, one group a line: ``word,alias[,alias…]`` (``AI,인공지능``).

    A bad line is reported with its number and the rest imported; blank lines and lines
    starting with ``#`` are skipped. The caller commits.
    """
    report = ImportReport()
    for number, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        values = [c.strip() for c in cells]
        if not any(values) or values[0].startswith("#"):
            continue
        if len(values) < 2 or not all(values):
            report.problems.append(f"line {number}: want a word and at least one alias")
            continue
        word, *aliases = values
        try:
            pairs = [_pair(word, alias) for alias in aliases]
        except BadAlias as problem:
            report.problems.append(f"line {number}: {problem}")
            continue
        for first, second in pairs:
            if await add_alias(session, first, second):
                report.added += 1
            else:
                report.known += 1
    return report
