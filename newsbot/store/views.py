"""Daily view counts: stored per article per day, replaced (not added) on re-import."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.store.models import Article, ArticleView, ViewState


@dataclass(frozen=True, slots=True)
class ViewCount:
    article_id: int
    day: date
    views: int


async def find_article_ids(
    session: AsyncSession, *, urls: Sequence[str] = (), guids: Sequence[str] = ()
) -> tuple[dict[str, int], dict[str, int]]:
    """Article ids by canonical URL and by guid (any source) for the given keys."""
    by_url: dict[str, int] = {}
    by_guid: dict[str, int] = {}
    if urls:
        rows = await session.execute(select(Article.url, Article.id).where(Article.url.in_(urls)))
        by_url = {url: ident for url, ident in rows}
    if guids:
        query = select(Article.guid, Article.id).where(Article.guid.in_(guids))
        rows = await session.execute(query)
        by_guid = {guid: ident for guid, ident in rows if guid}
    return by_url, by_guid


async def store_view_counts(session: AsyncSession, counts: Sequence[ViewCount]) -> None:
    if not counts:
        return
    # The last count for a day wins, within a batch as across imports.
    latest = {(c.article_id, c.day): c.views for c in counts}
    values = [{"article_id": a, "day": d, "views": v} for (a, d), v in latest.items()]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(ArticleView).values(values)
    statement = statement.on_conflict_do_update(
        index_elements=["article_id", "day"], set_={"views": statement.excluded.views}
    )
    await session.execute(statement)
    await bump_view_generation(session)


async def bump_view_generation(session: AsyncSession) -> None:
    """Mark every window's totals stale; call in the transaction that changed the counts."""
    await session.execute(
        update(ViewState).where(ViewState.id == 1).values(generation=ViewState.generation + 1)
    )
