"""``GET /healthz``: can this process do its work right now, and what is it doing.

A load balancer or supervisor reads the status: 503 when the store does not answer within
``timeout`` or its schema is behind this code's (nothing can be stored, or stored right),
200 otherwise. A platform that is down is not a failure of this process (its messages wait
in the outbox), so it is reported, not turned into a 503. The body is for the operator:

    {"ok": true,
     "store": {"reachable": true, "error": null},
     "schema": {"store": "0011e", "code": "0011e", "current": true},
     "leader": true,
     "last_poll": "2026-12-06T15:40:00+00:00", "last_send": null,
     "analyzer": "kiwi",
     "platforms": {"telegram": {"state": "up"}}}

A store ahead of this code (a newer release migrated it) is not "behind": the schema says
``current: false`` and the status stays 200, so a rolling upgrade does not take the old
processes out of their load balancer before the new ones are up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from newsbot.store import migrate
from newsbot.store.outage import first_line
from newsbot.telemetry import Activity

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

    async def check(self) -> tuple[int, dict[str, object]]:
        """(HTTP status, JSON body)."""
        error: str | None = None
        revision: str | None = None
        try:
            revision = await asyncio.wait_for(self._store_revision(), self.timeout)
        except TimeoutError:
            error = f"no answer within {self.timeout:g} s"
        except Exception as problem:  # any failure to read it means "not reachable"
            error = first_line(problem)
        reachable = error is None
        behind = (
            reachable and revision != self.head and (revision is None or revision in self.known)
        )
        healthy = reachable and not behind
        return (OK if healthy else UNAVAILABLE), {
            "ok": healthy,
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
            "platforms": dict(self.platforms()),
        }

    async def _store_revision(self) -> str | None:
        async with self.engine.connect() as connection:
            return await connection.run_sync(_revision)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
