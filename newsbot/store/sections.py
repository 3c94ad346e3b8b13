"""The newsroom's sections, as the articles name them: for menus and for reading a word a
reader typed as a section rather than a keyword."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.store.models import Article


async def popular_sections(session: AsyncSession, limit: int) -> list[str]:
    """The sections with the most articles, most first (ties by name)."""
    rows = await session.execute(
        select(Article.section)
        .where(Article.section.is_not(None))
        .group_by(Article.section)
        .order_by(func.count().desc(), Article.section)
        .limit(limit)
    )
    return [section for (section,) in rows if section]


async def all_sections(session: AsyncSession) -> set[str]:
    rows = await session.scalars(
        select(Article.section).where(Article.section.is_not(None)).distinct()
    )
    return {s for s in rows if s}
