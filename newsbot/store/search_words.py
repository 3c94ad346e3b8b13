"""The vocabulary of indexed words that typo suggestions choose from.

Both stores keep it the same way, as a plain table written at index time: SQLite's
``fts5vocab`` would list bigrams more than words, and PostgreSQL's ``ts_stat`` reads every
document (seconds at 100k articles), where a look-up here reads a few thousand short rows.
Only title morphemes are kept: whole words (드론, 성남시), not the bigrams of every body.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.store.models import SearchWord

MAX_WORD_CHARS = 100


def vocabulary_words(title_morphemes: Iterable[str]) -> set[str]:
    """The words worth suggesting in these analysed titles: two characters or more, not
    bare numbers."""
    return {
        word
        for text in title_morphemes
        for word in text.split()
        if 2 <= len(word) <= MAX_WORD_CHARS and not word.isdigit()
    }


async def remember_words(session: AsyncSession, title_morphemes: Iterable[str]) -> None:
    """Add the titles' words to the vocabulary (those already there are left alone)."""
    words = sorted(vocabulary_words(title_morphemes))
    if not words:
        return
    rows = [{"word": w, "length": len(w)} for w in words]
    if session.get_bind().dialect.name == "postgresql":
        statement = pg_insert(SearchWord).values(rows).on_conflict_do_nothing()
    else:
        statement = sqlite_insert(SearchWord).values(rows).on_conflict_do_nothing()  # type: ignore[assignment]
    await session.execute(statement)


async def words_near(
    session: AsyncSession, shortest: int, longest: int, pieces: Iterable[str]
) -> list[str]:
    """Words of ``shortest``-``longest`` characters that contain one of ``pieces`` (syllables
    or syllable pairs): the candidates for a typo, before their distance is measured."""
    wanted = sorted(set(pieces))
    if not wanted:
        return []
    condition = SearchWord.word.contains(wanted[0], autoescape=True)
    for piece in wanted[1:]:
        condition |= SearchWord.word.contains(piece, autoescape=True)
    query = (
        select(SearchWord.word)
        .where(SearchWord.length.between(shortest, longest), condition)
        .order_by(SearchWord.word)
    )
    return list(await session.scalars(query))
