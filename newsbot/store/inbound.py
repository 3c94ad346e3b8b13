"""Requests from chat platforms that must be acted on once: a row per request, first one wins.

Slack sends an event again when it got no 2xx within three seconds, and spreads events over
every process that serves it (Socket Mode connections, HTTP behind a load balancer). Each
request is claimed by inserting its key (``slack:event:Ev0123``, ``slack:trigger:…``); the
insert that finds the key taken learns the request was handled already, whichever process
made the first. Idempotency lives in this primary key, not in memory. Rows are kept a day
(``prune_inbound``): Slack retries within minutes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import String, Table, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from newsbot.store.base import Base

KEEP = timedelta(days=1)
MAX_KEY = 200


class InboundRequest(Base):
    __tablename__ = "inbound_requests"

    key: Mapped[str] = mapped_column(String(MAX_KEY), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)


async def claim_request(session: AsyncSession, key: str, *, now: datetime) -> bool:
    """True for the first claim of ``key`` (the caller acts on it); False when it was claimed
    before, here or by another process. The caller commits."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(cast(Table, InboundRequest.__table__))
        .values(key=key[:MAX_KEY], received_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(InboundRequest.__table__.c.key)
    )
    return (await session.execute(statement)).first() is not None


async def prune_inbound(session: AsyncSession, *, now: datetime) -> int:
    """Forget claims older than ``KEEP``; returns how many."""
    result = await session.execute(
        delete(InboundRequest).where(InboundRequest.received_at < now - KEEP)
    )
    return int(getattr(result, "rowcount", 0) or 0)
