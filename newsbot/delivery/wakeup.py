"""Waking the matcher the moment an article event is committed, not at its next timed pass.

On PostgreSQL a trigger on ``article_events`` (migration 0007) notifies ``newsbot_events``
once per inserting statement, delivered when the writer commits. So every writer wakes the
matcher, whether it is the poller, `newsbot import`, an editor or a program outside newsbot.
The leader LISTENs on a connection of its own and sets the :class:`asyncio.Event` that the
match loop waits on.

A notification is only a hint. The match loop still makes its timed passes, so a listener
that is down costs latency, never articles. When its connection breaks, the listener logs
that once and reconnects with backoff. When it is listening again it wakes the matcher once
for anything committed in the gap. SQLite has no NOTIFY. There the one process wakes its
matcher itself after storing articles (see `newsbot.service`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, cast

import psycopg
from sqlalchemy.ext.asyncio import AsyncEngine

from newsbot.event_loop import cancel_and_wait

log = logging.getLogger(__name__)

CHANNEL = "newsbot_events"  # as in migration 0007's trigger
APPLICATION_NAME = "newsbot listener"  # how the connection shows in pg_stat_activity


@dataclass
class Listener:
    """LISTENs for new article events while started; sets ``wake`` on each notification."""

    engine: AsyncEngine
    wake: asyncio.Event
    ping_seconds: float = 30.0  # a connection that died silently is noticed within this
    first_retry: float = 0.5
    max_retry: float = 30.0
    _task: asyncio.Task[None] | None = field(default=None, init=False)
    _down: bool = field(default=False, init=False)
    _retry: float = field(default=0.0, init=False)

    @property
    def started(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start listening in the background. Does nothing if it is already listening."""
        if not self.started:
            self._task = asyncio.create_task(self._run(), name="newsbot listener")

    async def stop(self) -> None:
        """Stop listening and close the connection."""
        task, self._task = self._task, None
        await cancel_and_wait(task)

    async def _run(self) -> None:
        self._retry = self.first_retry
        while True:
            try:
                await self._listen()
            except Exception as exc:  # whatever broke, the bot goes on with timed passes
                if not self._down:
                    log.warning(
                        "stopped listening for new articles (%s); matching on a timer "
                        "until the connection is back",
                        _reason(exc),
                    )
                    self._down = True
                else:
                    log.debug("listening for new articles still fails: %s", _reason(exc))
            await asyncio.sleep(self._retry)
            self._retry = min(self._retry * 2, self.max_retry)

    async def _listen(self) -> None:
        async with self.engine.connect() as connection:
            try:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.exec_driver_sql(f"LISTEN {CHANNEL}")
                await connection.exec_driver_sql(f"SET application_name = '{APPLICATION_NAME}'")
                raw = await connection.get_raw_connection()
                driver = cast(psycopg.AsyncConnection[Any], raw.driver_connection)
                self._listening()
                while True:
                    async for _ in driver.notifies(timeout=self.ping_seconds):
                        self.wake.set()
                    await asyncio.wait_for(driver.execute("SELECT 1"), self.ping_seconds)
            finally:
                # Never back to the pool: a session would inherit the LISTEN.
                await connection.invalidate()

    def _listening(self) -> None:
        if self._down:
            log.warning("listening for new articles again")
            self._down = False
        self._retry = self.first_retry
        self.wake.set()  # whatever was committed while nobody listened


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
