"""Who leads: one process at a time polls, matches, serves readers and runs the timed jobs.

On PostgreSQL any number of `newsbot run` and `newsbot worker` processes share one store, and
the leader is whoever holds an advisory lock on a database session of its own: when the
leader dies the lock goes with its session, and another process takes over within a couple
of seconds. SQLite is single-process: the only process leads, and a second `run` on the same
file is refused with a message that says why (`sqlite_single_process`).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from newsbot.app import App
from newsbot.errors import StoreError
from newsbot.store.engine import backend_name, sync_url

log = logging.getLogger(__name__)

LEADER_LOCK_KEY = 0x6E657773  # "news"
LEADER_RETRY_SECONDS = 2.0
SESSION_CHECK_SECONDS = LEADER_RETRY_SECONDS / 2
# The lock is freed when PostgreSQL ends the leader's session. A leader whose process dies
# closes its socket at once, but one whose whole host dies (power, kernel, network) leaves
# the server waiting on TCP keepalive, two hours by default. The leader's session asks the
# server to probe after 10 s of silence, 3 probes 5 s apart, and to give up on an answer
# left unacknowledged for 25 s (keepalives wait while data is in flight): another process
# leads within about 25 s of the last word from the dead one.
LEADER_KEEPALIVES = {
    "tcp_keepalives_idle": 10,
    "tcp_keepalives_interval": 5,
    "tcp_keepalives_count": 3,
    "tcp_user_timeout": 25_000,  # milliseconds
}


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@contextlib.contextmanager
def sqlite_single_process(database_url: str) -> Iterator[None]:
    """Refuse a second process on one SQLite file, with a message that says why."""
    path = Path(sync_url(database_url).database or "newsbot.db")
    lock_path = path.with_name(path.name + ".run.lock")
    handle: IO[str] = lock_path.open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise StoreError(
            f"another newsbot process is running on {path}: SQLite allows one; "
            "use PostgreSQL (NEWSBOT_DATABASE_URL) for several workers"
        ) from None
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


@dataclass
class Leadership:
    """Who polls and matches. Always this process on SQLite; on PostgreSQL, whoever holds
    the advisory lock.

    The lock belongs to one database session, so this process leads exactly as long as that
    session lives: `acquire` checks it is still there (PostgreSQL drops sessions on a restart,
    a network cut or `pg_terminate_backend`, and then someone else may lead), and `release`
    closes it for good instead of handing it back to the pool with the lock still held.
    """

    app: App
    # Whether the last ``acquire`` found this process leading (False until one asks, and
    # after ``release``): what /healthz and /metrics say, read without touching the store.
    leading: bool = False
    _connection: AsyncConnection | None = None
    _turn: asyncio.Lock = field(default_factory=asyncio.Lock)  # the service's loops share it
    _checked_at: float = float("-inf")  # event-loop time the held session last answered

    async def acquire(self) -> bool:
        try:
            self.leading = await self._acquire()
        except BaseException:  # the store is away: we lead while the lock's session lives
            self.leading = self._connection is not None
            raise
        return self.leading

    async def _acquire(self) -> bool:
        if backend_name(self.app.settings.database_url) != "postgresql":
            return True
        async with self._turn:
            if self._connection is not None:
                # Poll, match and lead loops and the timed jobs all ask, the matcher on every
                # busy pass: the session is checked at most every SESSION_CHECK_SECONDS.
                now = asyncio.get_running_loop().time()
                if now - self._checked_at < SESSION_CHECK_SECONDS:
                    return True
                if await self._session_alive(self._connection):
                    self._checked_at = now
                    return True
            connection = await self.app.engine.connect()
            got = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": LEADER_LOCK_KEY}
            )
            await connection.commit()
            if got:
                try:
                    for setting, value in LEADER_KEEPALIVES.items():
                        await connection.exec_driver_sql(f"SET {setting} = {int(value)}")
                    await connection.commit()
                except BaseException:  # never back to the pool holding the lock
                    await connection.invalidate()
                    await connection.close()
                    raise
                self._connection = connection
                self._checked_at = asyncio.get_running_loop().time()
                log.info("this process leads: polling and matching")
                return True
            await connection.close()
            return False

    async def _session_alive(self, connection: AsyncConnection) -> bool:
        try:
            await connection.exec_driver_sql("SELECT 1")
            await connection.rollback()
        except DBAPIError:
            log.warning("the leader lock's database session was lost: no longer leading")
            await self._close()
            return False
        return True

    async def release(self) -> None:
        self.leading = False
        async with self._turn:
            await self._close()

    async def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.invalidate()  # not back to the pool: ending the session unlocks
            await connection.close()
