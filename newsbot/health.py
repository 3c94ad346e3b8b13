"""``GET /healthz``: can this process do its work right now, and what is it doing.

A load balancer or supervisor reads the status: 503 when the store does not answer within
``timeout`` or its schema is behind this code's (nothing can be stored, or stored right),
200 otherwise. A platform that is down is not a failure of this process (its messages wait
in the outbox), so it is reported, not turned into a 503. The body is for the operator:

    {"ok": true, "reason": null,
     "store": {"reachable": true, "error": null},
     "schema": {"store": "0011e", "code": "0011e", "current": true},
     "leader": true,
     "last_poll": "2026-12-06T15:40:00+00:00", "last_send": null,
     "analyzer": "kiwi",
     "platforms": {"telegram": {"state": "up"}}}

The listener is public (webhooks, Slack, the CMS push API share it), so errors are shown
only as a short class, never as the driver's or the platform's words (they name database
hosts, addresses, users): the store's ``error`` is ``unreachable``, ``timeout`` or ``error``;
a platform's is ``unreachable``, ``timeout``, ``server error`` or ``error``; ``reason`` says
why the status is 503 (``store unreachable``, ``store timeout``, ``store error``, ``schema
behind``). The detail goes to the log, once each time it changes.

A store ahead of this code (a newer release migrated it) is not "behind": the schema says
``current: false`` and the status stays 200, so a rolling upgrade does not take the old
processes out of their load balancer before the new ones are up.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from newsbot.store import migrate
from newsbot.store.outage import first_line, is_unreachable
from newsbot.telemetry import Activity

log = logging.getLogger(__name__)

STORE_TIMEOUT = 2.0  # seconds the store has to answer a health check

OK, UNAVAILABLE = 200, 503


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


@dataclass
class Health:
    """The health check of one bot; the callables are read at each check."""

    engine: AsyncEngine
    activity: Activity
    leading: Callable[[], bool] = lambda: False
    platforms: Callable[[], Mapping[str, object]] = dict
    analyzer: Callable[[], str] = lambda: "not loaded yet"
    timeout: float = STORE_TIMEOUT
    head: str = field(default_factory=migrate.head_revision)
    # Every revision this code knows: a store at one of them but not the head is behind; a
    # store at none of them is ahead.
    known: frozenset[str] = field(default_factory=lambda: frozenset(migrate.all_revisions()))

    _logged: str | None = field(default=None, init=False, repr=False)  # the last detail

    async def check(self) -> tuple[int, dict[str, object]]:
        """(HTTP status, JSON body)."""
        error: str | None = None
        revision: str | None = None
        try:
            revision = await asyncio.wait_for(self._store_revision(), self.timeout)
        except TimeoutError:
            error = "timeout"
            self._log(f"the store gave no answer within {self.timeout:g} s")
        except Exception as problem:  # any failure to read it means "not reachable"
            error = store_error_class(problem)
            self._log(f"the store cannot be read: {first_line(problem)}")
        reachable = error is None
        behind = (
            reachable and revision != self.head and (revision is None or revision in self.known)
        )
        healthy = reachable and not behind
        if healthy:
            self._log(None)
        reason = None if healthy else f"store {error}" if error else "schema behind"
        return (OK if healthy else UNAVAILABLE), {
            "ok": healthy,
            "reason": reason,
            "store": {"reachable": reachable, "error": error},
            "schema": {
                "store": revision,
                "code": self.head,
                "current": reachable and revision == self.head,
            },
            "leader": self.leading(),
            "last_poll": _iso(self.activity.last_poll),
            "last_send": _iso(self.activity.last_send),
            "analyzer": self.analyzer(),
            "platforms": {name: _shown(state) for name, state in self.platforms().items()},
        }

    def _log(self, detail: str | None) -> None:
        """The detail /healthz does not show, logged when it changes (a health check every
        few seconds must not repeat it)."""
        if detail != self._logged:
            if detail is not None:
                log.warning("healthz: %s", detail)
            elif self._logged is not None:
                log.warning("healthz: the store answers again")
            self._logged = detail

    async def _store_revision(self) -> str | None:
        async with self.engine.connect() as connection:
            return await connection.run_sync(_revision)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def store_error_class(problem: BaseException) -> str:
    """What /healthz says of a store that could not be read: "unreachable" (a connection
    refused or cut, a file that cannot be opened, a lock or pool held too long) or "error"."""
    return "unreachable" if is_unreachable(problem) else "error"


_TIMEOUT = re.compile(r"time ?out|timed out|no answer within", re.IGNORECASE)
_UNREACHABLE = re.compile(r"connect|network|resolve|unreachable|refused|reset", re.IGNORECASE)
_SERVER = re.compile(r"\b5\d\d\b|bad gateway|service unavailable|internal server error", re.I)


def platform_error_class(reason: str) -> str:
    """A platform's last error as /healthz shows it; the words themselves are logged where
    the send failed (``newsbot.delivery.breaker``)."""
    if not reason:
        return ""
    if _TIMEOUT.search(reason):
        return "timeout"
    if _UNREACHABLE.search(reason):
        return "unreachable"
    if _SERVER.search(reason):
        return "server error"
    return "error"


def _shown(state: object) -> object:
    """A platform's state with its error reduced to its class."""
    if isinstance(state, Mapping) and isinstance(state.get("error"), str):
        return {**state, "error": platform_error_class(state["error"])}
    return state
