"""Readers' searches kept for their paging buttons (see ``SavedQuery``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.store.models import SavedQuery

MAX_SAVED_CHARS = 500


async def save_query(session: AsyncSession, text: str, *, now: datetime) -> SavedQuery:
    saved = SavedQuery(text=text[:MAX_SAVED_CHARS], section=None, created_at=now)
    session.add(saved)
    await session.flush()
    return saved


async def saved_query(session: AsyncSession, query_id: int) -> SavedQuery | None:
    return await session.get(SavedQuery, query_id)
