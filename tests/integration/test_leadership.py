"""Who polls and matches: one leader at a time, held by a PostgreSQL advisory lock.

Two Apps (two engines, as two processes would have) contend for the lock. The lock lives as
long as the leader's database session, so these pin down what ends that session: a release
that really lets go, and a session PostgreSQL dropped under a leader, which must notice that
it no longer leads the next time it asks.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import psycopg
import pytest
from sqlalchemy.engine import make_url

from newsbot.app import App, open_app
from newsbot.leadership import (
    LEADER_KEEPALIVES,
    LEADER_LOCK_KEY,
    LEADER_RETRY_SECONDS,
    Leadership,
)
from tests.conftest import make_settings

# One leader among processes is a PostgreSQL matter: on SQLite the only process leads.
pytestmark = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


@pytest.fixture
async def two_apps(database_url: str) -> AsyncIterator[tuple[App, App]]:
    async with (
        open_app(make_settings(database_url)) as first,
        open_app(make_settings(database_url)) as second,
    ):
        yield first, second


def lock_holder(database_url: str) -> int | None:
    """The backend pid holding the leader lock, if anyone does."""
    conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND classid = 0 AND objid = %s",
            (LEADER_LOCK_KEY,),
        ).fetchone()
        return None if row is None else int(row[0])


async def soon(attempt: Callable[[], Awaitable[bool]], seconds: float = 5.0) -> bool:
    """Whether ``attempt`` succeeds within ``seconds``: a closed session's backend exits, and
    drops its locks, a moment after the client hangs up."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not await attempt():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


def terminate(database_url: str, pid: int) -> None:
    conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))


async def test_one_leader_at_a_time_and_a_release_hands_over(
    two_apps: tuple[App, App], database_url: str
) -> None:
    first, second = Leadership(two_apps[0]), Leadership(two_apps[1])

    assert await first.acquire()
    assert await first.acquire()  # still leading: asking again is cheap and true
    assert not await second.acquire()

    await first.release()  # not kept by a connection back in the pool: the session ends
    assert await soon(second.acquire)
    assert not await first.acquire()
    await second.release()


async def test_a_leader_whose_session_was_dropped_stops_leading(
    two_apps: tuple[App, App], database_url: str
) -> None:
    first, second = Leadership(two_apps[0]), Leadership(two_apps[1])
    assert await first.acquire()
    holder = lock_holder(database_url)
    assert holder is not None

    terminate(database_url, holder)  # a server restart, a network cut, an idle timeout
    assert await second.acquire()

    async def stepped_down() -> bool:
        return not await first.acquire()

    # It must not go on polling and matching beside second for more than a moment.
    assert await soon(stepped_down, LEADER_RETRY_SECONDS)
    await second.release()
    assert await soon(first.acquire)  # and it can lead again later
    await first.release()


async def test_the_leaders_session_has_the_server_notice_a_dead_host_within_seconds(
    two_apps: tuple[App, App],
) -> None:
    """A host that dies outright sends no FIN: only the server's keepalive probes end the
    session, and with it the lock (two hours by PostgreSQL's default settings)."""
    leader = Leadership(two_apps[0])
    assert await leader.acquire()
    connection = leader._connection  # the session that holds the lock
    assert connection is not None

    shown = {
        setting: (await connection.exec_driver_sql(f"SHOW {setting}")).scalar_one()
        for setting in LEADER_KEEPALIVES
    }

    # On TCP; PostgreSQL shows 0 on a Unix socket.
    assert shown == {
        "tcp_keepalives_idle": "10",
        "tcp_keepalives_interval": "5",
        "tcp_keepalives_count": "3",
        "tcp_user_timeout": "25000",  # milliseconds
    }
    await leader.release()
