"""The audit trail: every editor action and every refused attempt at one, as rows.

Written in the caller's transaction when an action changes something (so the trail and the
change commit together), or on its own for a refusal, which changes nothing else.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.store.editorial import AuditEntry


def record(
    session: AsyncSession,
    *,
    at: datetime,
    platform: str,
    user_id: str,
    action: str,
    outcome: str,
    article_id: int | None = None,
    copies: int | None = None,
    detail: str | None = None,
) -> AuditEntry:
    """Add one entry to the session; the caller commits."""
    entry = AuditEntry(
        at=at,
        platform=platform,
        user_id=user_id,
        action=action[:40],
        outcome=outcome[:40],
        article_id=article_id,
        copies=copies,
        detail=detail[:1000] if detail else None,
    )
    session.add(entry)
    return entry


async def entries(
    session: AsyncSession, *, since: datetime | None = None, limit: int = 1000
) -> list[AuditEntry]:
    """Entries oldest first, from ``since`` on."""
    query = select(AuditEntry).order_by(AuditEntry.at, AuditEntry.id)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    return list(await session.scalars(query.limit(limit)))
