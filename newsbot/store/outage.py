"""Telling "the database is away" from a bug, and saying so once.

While PostgreSQL restarts (or SQLite is locked by another writer for longer than its busy
timeout), every loop of the bot fails on every pass. Each failure is the same news: the
operator needs one line when it starts and one when it ends, not a traceback per loop ten
times a second (which also filled a supervisor's pipe and blocked the bot on its own log).
Bugs keep their tracebacks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

log = logging.getLogger("newsbot.store")

REMIND_EVERY = 300.0


def is_unreachable(problem: BaseException) -> bool:
    """The store could not be reached or used right now: a connection refused or cut, a
    database not accepting connections, a lock held past the busy timeout, a full pool."""
    if isinstance(problem, OperationalError | PoolTimeout):
        return True
    return isinstance(problem, DBAPIError) and problem.connection_invalidated


def first_line(problem: BaseException) -> str:
    text = str(getattr(problem, "orig", None) or problem).strip().splitlines()
    return text[0][:300] if text else type(problem).__name__


@dataclass(slots=True)
class StoreWatch:
    """Whether the store is away, shared by a process's loops, and the log lines about it."""

    monotonic: Callable[[], float] = time.monotonic
    away_since: float | None = None
    # Told when the store goes away (True, the error) and comes back (False, ""): how
    # operators' alerts hear of it (newsbot.alerts).
    listener: Callable[[bool, str], None] | None = None
    _reminded_at: float = 0.0

    def failed(self, where: str, problem: BaseException) -> None:
        now = self.monotonic()
        if self.away_since is None:
            self.away_since = self._reminded_at = now
            log.warning(
                "the store is unreachable (%s): %s waits and retries", first_line(problem), where
            )
            if self.listener is not None:
                self.listener(True, first_line(problem))
        elif now - self._reminded_at >= REMIND_EVERY:
            self._reminded_at = now
            log.warning(
                "the store is still unreachable after %.0f s (%s)",
                now - self.away_since,
                first_line(problem),
            )

    def worked(self) -> None:
        if self.away_since is not None:
            log.warning("the store is back after %.0f s", self.monotonic() - self.away_since)
            self.away_since = None
            if self.listener is not None:
                self.listener(False, "")
