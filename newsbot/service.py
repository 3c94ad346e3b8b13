"""The long-running bot: poller, matcher and dispatcher loops in one event loop.

`newsbot run` runs all three; `newsbot worker` only dispatches (more sending capacity on
PostgreSQL). Polling and matching run in one leader at a time: on PostgreSQL the leader holds
an advisory lock on a connection of its own, and when it dies the lock goes with its
connection and another process takes over within a couple of seconds. SQLite is
single-process, so a second `run` against the same file is refused with a clear message.

Stopping (Ctrl-C, SIGTERM) lets the current batch settle: a claimed delivery is either sent
and marked, or left to its lease; never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from newsbot.app import App
from newsbot.delivery.dispatcher import Dispatcher, DispatchReport, DispatchSettings
from newsbot.delivery.matcher import match_pending
from newsbot.delivery.outcomes import Platform
from newsbot.errors import StoreError
from newsbot.ingest.fetch import make_client
from newsbot.ingest.poller import PollSettings, poll_due_feeds
from newsbot.store.engine import backend_name, sync_url
from newsbot.text.analyzer import default_analyzer

log = logging.getLogger(__name__)

LEADER_LOCK_KEY = 0x6E657773  # "news"
LEADER_RETRY_SECONDS = 2.0


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
    the advisory lock."""

    app: App
    _connection: AsyncConnection | None = None

    async def acquire(self) -> bool:
        if backend_name(self.app.settings.database_url) != "postgresql":
            return True
        if self._connection is not None:
            return True
        connection = await self.app.engine.connect()
        got = await connection.scalar(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": LEADER_LOCK_KEY}
        )
        await connection.commit()
        if got:
            self._connection = connection
            log.info("this process leads: polling and matching")
            return True
        await connection.close()
        return False

    async def release(self) -> None:
        if self._connection is not None:
            await self._connection.close()  # closing the session releases the lock
            self._connection = None


class Frontend(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class Service:
    app: App
    platforms: dict[str, Platform]
    dispatch_settings: DispatchSettings
    poll_settings: PollSettings
    # What readers talk to (the Telegram bot's updates): started after the platforms that
    # send, stopped before them, in `run` only.
    frontends: list[Frontend] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    dispatcher: Dispatcher = field(init=False)

    def __post_init__(self) -> None:
        self.dispatcher = Dispatcher(
            self.app.sessions, self.platforms, self.app.clock, self.dispatch_settings
        )

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), timeout=seconds)

    async def match_all(self) -> int:
        """Match every queued event; returns the deliveries written."""
        written = 0
        while True:
            async with self.app.sessions() as session:
                report = await match_pending(session, default_analyzer(), now=self.app.clock.now())
                await session.commit()
            written += report.deliveries
            if not report.events:
                return written

    async def dispatch_all(self) -> DispatchReport:
        """Send everything due now (used by --once)."""
        for platform in self.platforms.values():
            await platform.start()
        try:
            return await self._dispatch_due()
        finally:
            for platform in self.platforms.values():
                await platform.stop()

    async def _dispatch_due(self) -> DispatchReport:
        total = DispatchReport()
        while True:
            report = await self.dispatcher.run_once()
            for name in ("claimed", "sent", "deferred", "retried", "failed", "gone", "moved"):
                setattr(total, name, getattr(total, name) + getattr(report, name))
            if not report.claimed or report.claimed == report.deferred:
                return total

    async def _loop(self, name: str, step: Callable[[], Awaitable[bool]], idle: float) -> None:
        while not self.stop.is_set():
            try:
                busy = await step()
            except Exception:  # one failing step must not end the bot; it retries
                log.exception("%s loop failed; retrying", name)
                busy = False
            if not busy:
                await self._pause(idle)

    async def run(self, *, lead: bool = True) -> None:
        leadership = Leadership(self.app)
        client = make_client(
            timeout=self.app.settings.http_timeout, user_agent=self.app.settings.http_user_agent
        )

        async def poll_step() -> bool:
            if not await leadership.acquire():
                return False
            await poll_due_feeds(self.app.sessions, client, self.app.clock, self.poll_settings)
            return False

        async def match_step() -> bool:
            return await leadership.acquire() and await self.match_all() > 0

        async def dispatch_step() -> bool:
            report = await self.dispatcher.run_once()
            return report.claimed > report.deferred

        for platform in self.platforms.values():
            await platform.start()
        started: list[Frontend] = []
        loops = [self._loop("dispatch", dispatch_step, 0.2)]
        if lead:
            loops += [
                self._loop("poll", poll_step, 1.0),
                self._loop("match", match_step, LEADER_RETRY_SECONDS / 4),
            ]
        try:
            for frontend in self.frontends:
                await frontend.start()
                started.append(frontend)
            await asyncio.gather(*loops)
        finally:
            for frontend in reversed(started):
                try:
                    await frontend.stop()
                except Exception:
                    log.exception("stopping %s failed", type(frontend).__name__)
            await leadership.release()
            await client.aclose()
            for platform in self.platforms.values():
                await platform.stop()
