"""Forgetting old digests: one row per chat a day is 36 million a year at 100,000 chats.

A ``digests`` row is what keeps a day's digest to one; past its date nothing asks for it,
but its delivery names it (``deliveries.digest_id``), so a digest goes only once its
delivery is gone (settled deliveries are forgotten by ``newsbot.delivery.retention``), or
it never had one (dropped, empty). The leader runs this after that pass, with the same
horizon, a chunk to a transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import cast

from sqlalchemy import Table, exists
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from newsbot.delivery.outbox import DELIVERIES
from newsbot.delivery.retention import delete_in_chunks
from newsbot.store.delivery_models import Digest

DIGESTS = cast(Table, Digest.__table__)
CHUNK = 5000


async def prune_digests(
    sessions: async_sessionmaker[AsyncSession],
    *,
    before: datetime,
    chunk: int = CHUNK,
    stop: Callable[[], bool] = lambda: False,
) -> int:
    """Delete digests written before ``before`` that no delivery names; returns how many."""
    ids = DIGESTS.c.id
    return await delete_in_chunks(
        sessions,
        DIGESTS,
        ids,
        lambda after: [
            ids > after,
            DIGESTS.c.created_at < before,
            ~exists().where(DELIVERIES.c.digest_id == ids),
        ],
        chunk=chunk,
        stop=stop,
    )
