"""Forgetting settled deliveries: the outbox keeps its history for a while, not forever.

A fan-out writes one row per chat and article, so 10,000 subscribers and 100 articles a day
are a million rows a day. Sent rows are worth keeping while their message ids are: a
correction or retraction edits the copies they name, and an editor corrects a story within
days, not months. After the retention period (``NEWSBOT_DELIVERY_RETENTION_DAYS``, 30 by
default) the leader deletes sent, failed and dropped rows a chunk at a time, each chunk in a
transaction of its own, so no claim or settle ever waits long behind it. Pending and held
rows are never touched, however old: they are work, not history.

Rows are found through the primary key, without an index of their own (one more index to
write on every insert and settle of a fan-out): ids grow with ``created_at``, so a binary
search over ids finds the newest row written before a horizon, and the deletes walk ids up
to there. The order is only near-monotonic (rows are stamped when their transaction
starts, and a subscriber's first headlines are written beside the matcher's), so the
horizon is an hour past the cut-off and every delete still checks ``created_at`` itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import ColumnElement, CursorResult, Table, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from newsbot.delivery.outbox import DELIVERIES, ids_in
from newsbot.delivery.subscriptions import RECENT_WINDOW
from newsbot.store.delivery_models import DeliveryState

CHUNK = 5000
# /subscribe sends a new subscriber the last week's headlines the chat has not had yet
# (RECENT_WINDOW): forgetting a copy sooner would send it again to a reader who subscribes
# a second time.
MIN_DAYS = RECENT_WINDOW.days
HORIZON_SLACK = timedelta(hours=1)  # far more than rows are ever written out of order
SETTLED = [DeliveryState.SENT.value, DeliveryState.FAILED.value, DeliveryState.DROPPED.value]


async def _horizon(session: AsyncSession, before: datetime) -> int | None:
    """The largest id whose row was written before ``before``, by binary search over ids."""
    ids = DELIVERIES.c.id
    low, high = (await session.execute(select(func.min(ids), func.max(ids)))).one()
    if low is None or high is None:
        return None
    found = None
    while low <= high:
        middle = (low + high) // 2
        row = (
            await session.execute(
                select(ids, DELIVERIES.c.created_at).where(ids >= middle).order_by(ids).limit(1)
            )
        ).first()
        if row is None or row[0] > high:
            high = middle - 1
        elif row[1] < before:
            found, low = row[0], row[0] + 1
        else:
            high = middle - 1
    return found


async def prune_settled(
    sessions: async_sessionmaker[AsyncSession],
    *,
    before: datetime,
    chunk: int = CHUNK,
    stop: Callable[[], bool] = lambda: False,
) -> int:
    """Delete sent, failed and dropped rows written before ``before``; returns how many.

    ``stop`` is asked between chunks: the first pass over a store with months of history
    deletes millions of rows, and a bot told to stop must not make its supervisor wait."""
    async with sessions() as session:
        horizon = await _horizon(session, before + HORIZON_SLACK)
    if horizon is None:
        return 0
    ids = DELIVERIES.c.id
    return await delete_in_chunks(
        sessions,
        DELIVERIES,
        ids,
        lambda after: [
            ids > after,
            ids <= horizon,
            DELIVERIES.c.state.in_(SETTLED),
            DELIVERIES.c.created_at < before,
        ],
        chunk=chunk,
        stop=stop,
    )


async def delete_in_chunks(
    sessions: async_sessionmaker[AsyncSession],
    table: Table,
    ids: ColumnElement[int],
    conditions: Callable[[int], list[ColumnElement[bool]]],
    *,
    chunk: int,
    stop: Callable[[], bool],
) -> int:
    """Delete the rows meeting ``conditions(after)``, walking the primary key ``chunk`` rows
    to a transaction, so writers wait for one short delete at a time; returns how many.
    ``stop`` is asked between chunks."""
    deleted, after = 0, 0
    while True:
        async with sessions() as session:
            batch = list(
                await session.scalars(
                    select(ids).where(*conditions(after)).order_by(ids).limit(chunk)
                )
            )
            if batch:
                result = await session.execute(
                    delete(table).where(ids_in(session, ids, batch)),
                    execution_options={"preserve_rowcount": True},
                )
                await session.commit()
                deleted += cast(CursorResult[tuple[()]], result).rowcount
        if len(batch) < chunk or stop():
            return deleted
        after = batch[-1]
