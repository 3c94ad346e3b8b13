"""Real `newsbot run`/`worker` processes delivering to a fake Bot API, killed and restarted.

These are the delivery engine's promises under failure: a process killed with SIGKILL in
the middle of a fan-out loses nothing (its leases run out and the rows are claimed again)
and doubles at most what it had in flight; one stopped with SIGTERM and started again
doubles nothing; several workers on PostgreSQL share the outbox without sending anything
twice.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import time
from asyncio.subprocess import PIPE
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from newsbot.app import App
from newsbot.clock import FixedClock
from newsbot.delivery.dispatcher import UNSTORED_MAX, DispatchSettings
from newsbot.store.delivery_models import Delivery, DeliveryState
from newsbot.store.engine import sync_url
from tests.builders import draft, publish
from tests.bulk import add_chats_taking_all_news
from tests.conftest import _pg_conninfo
from tests.fakes.telegram_api import TOKEN, FakeTelegram
from tests.processes import NEWSBOT, start, stop

# The most one process can have sent (or be sending) without having stored it: what each
# batch may have unstored, times the batches it works on at once.
IN_FLIGHT = UNSTORED_MAX * DispatchSettings(owner="").batches_in_flight


async def killed_and_restarted(
    env: dict[str, str],
    cwd: Path,
    fake: FakeTelegram,
    chats: list[str],
    *,
    after: int,
    within: tuple[float, float],
) -> tuple[int, Counter[str], bytes]:
    """`newsbot run` killed with SIGKILL once ``after`` messages went out, then run again
    until every chat has its message: (sent at the kill, what each chat got, the restart's
    stderr). ``within``: seconds allowed for the kill, then for the rest."""
    first = await start("run", env, cwd)
    await wait_for(lambda: len(fake.delivered()) >= after, within[0])
    first.send_signal(signal.SIGKILL)
    await first.wait()
    at_kill = len(fake.delivered())
    second = await start("run", env, cwd)
    await wait_for(lambda: set(chats) <= {r["chat_id"] for r in fake.delivered()}, within[1])
    err = await stop(second)
    return at_kill, Counter(r["chat_id"] for r in fake.delivered()), err


@pytest.fixture(autouse=True)
def on_the_real_clock(clock: FixedClock) -> None:
    """The processes run on the real clock: what the test stores is dated by it too (a row
    dated by the fixed test clock would be weeks old to them, and stale)."""
    clock.set(datetime.now(UTC))


async def fan_out_to(app: App, count: int) -> list[str]:
    """``count`` chats taking all news, and one breaking story matched to every one of them."""
    now = app.clock.now()
    ids = [str(100_000 + n) for n in range(count)]
    async with app.sessions() as session:
        await add_chats_taking_all_news(session, "telegram", ids, now=now)
        await session.commit()
    a_minute_ago = now - timedelta(minutes=1)
    await publish(app, draft("big", "모두에게 속보", published_at=a_minute_ago, is_breaking=True))
    return ids


def environment(database_url: str, fake: FakeTelegram) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env.update(
        {
            "NEWSBOT_DATABASE_URL": database_url,
            "NEWSBOT_TELEGRAM_TOKEN": TOKEN,
            "NEWSBOT_TELEGRAM_API_URL": fake.api_url,
            "NEWSBOT_TELEGRAM_OVERALL_PER_SECOND": "100000",
            "NEWSBOT_DISPATCH_LEASE_SECONDS": "3",
            "NEWSBOT_LOG_LEVEL": "WARNING",
        }
    )
    return env


async def wait_for(condition: object, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():  # type: ignore[operator]
        assert loop.time() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


async def kill_leftovers(processes: list[asyncio.subprocess.Process]) -> None:
    """After a failed test: no newsbot process outlives it."""
    for process in processes:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def until_it_holds_leases(app: App, process: asyncio.subprocess.Process) -> None:
    """Wait until this process has rows of the fan-out leased: it is sending, not idle."""
    owner = f"{socket.gethostname()}:{process.pid}"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while True:
        async with app.sessions() as session:
            leased = await session.scalar(
                select(func.count()).where(
                    Delivery.lease_owner == owner, Delivery.state == DeliveryState.PENDING
                )
            )
        if leased:
            return
        assert loop.time() < deadline, f"{owner} never took part in the fan-out"
        await asyncio.sleep(0.02)


@pytest.mark.slow
async def test_an_outage_of_telegram_pauses_sending_and_loses_nothing(
    app: App, fake_telegram: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    fake_telegram.down = True
    chats = await fan_out_to(app, 40)
    env = environment(database_url, fake_telegram)

    bot = await start("run", env, tmp_path)
    await wait_for(lambda: len(fake_telegram.calls("sendMessage")) >= 3, 30)
    await asyncio.sleep(8)  # the outage goes on: the bot only probes now
    during = len(fake_telegram.calls("sendMessage"))
    fake_telegram.down = False
    await wait_for(lambda: set(chats) <= {r["chat_id"] for r in fake_telegram.delivered()}, 90)
    err = (await stop(bot)).decode()

    received = Counter(r["chat_id"] for r in fake_telegram.delivered())
    assert set(received) == set(chats) and max(received.values()) == 1
    # The sends in flight when the outage showed, then a probe at 2, 4, 8 s: not every
    # chat tried again and again.
    assert during <= 40 + 5
    async with app.sessions() as session:
        states = set(await session.scalars(select(Delivery.state)))
    assert states == {DeliveryState.SENT}
    assert err.count("sends are failing across chats (Bad Gateway)") == 1
    assert err.count("telegram: back after") == 1


def database_outage(database_url: str, seconds: float) -> None:
    """The database goes away for a while, as in a restart: every session to it is cut and
    no new one is let in until it is back."""
    name = make_url(database_url).database
    server = make_url(database_url).set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(_pg_conninfo(server), autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        time.sleep(seconds)
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


@pytest.mark.slow
@pytest.mark.postgres
async def test_the_database_going_away_mid_fan_out_loses_nothing_and_doubles_nothing(
    app: App, fake_telegram: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("a PostgreSQL server restart")
    chats = await fan_out_to(app, 3000)
    env = environment(database_url, fake_telegram) | {"NEWSBOT_TELEGRAM_OVERALL_PER_SECOND": "500"}
    await app.engine.dispose()  # the test's own pool would be cut too

    bot = await start("run", env, tmp_path)
    await wait_for(lambda: len(fake_telegram.delivered()) >= 1000, 60)
    await asyncio.to_thread(database_outage, database_url, 3.0)
    await wait_for(lambda: set(chats) <= {r["chat_id"] for r in fake_telegram.delivered()}, 60)
    await asyncio.sleep(4)  # past the 3 s lease: a claim left unsettled would go again now
    err = (await stop(bot)).decode()

    received = Counter(r["chat_id"] for r in fake_telegram.delivered())
    assert set(received) == set(chats)
    # What was sent while the store could not record it is sent again: the same bound as a
    # kill, not more.
    assert sum(received.values()) - len(chats) <= IN_FLIGHT
    # The operator reads that the store went away and came back, not a traceback a loop.
    assert err.count("the store is unreachable") == 1
    assert err.count("the store is back after") == 1
    assert "Traceback" not in err


def sqlite_locked(database_url: str, seconds: float) -> None:
    """Another program holds the embedded store's write lock (a backup tool, a migration
    in a shell) far past the bot's busy timeout."""
    with sqlite3.connect(sync_url(database_url).database or "", timeout=30) as other:
        other.execute("BEGIN EXCLUSIVE")
        time.sleep(seconds)
        other.rollback()


@pytest.mark.slow
async def test_the_embedded_store_locked_by_another_writer_loses_nothing(
    app: App, fake_telegram: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's write lock")
    chats = await fan_out_to(app, 3000)
    env = environment(database_url, fake_telegram) | {
        "NEWSBOT_TELEGRAM_OVERALL_PER_SECOND": "500",
        "NEWSBOT_SQLITE_BUSY_TIMEOUT_MS": "2000",
    }
    await app.engine.dispose()

    bot = await start("run", env, tmp_path)
    await wait_for(lambda: len(fake_telegram.delivered()) >= 1000, 60)
    await asyncio.to_thread(sqlite_locked, database_url, 10.0)  # five busy timeouts
    await wait_for(lambda: set(chats) <= {r["chat_id"] for r in fake_telegram.delivered()}, 90)
    await asyncio.sleep(4)  # past the 3 s lease
    err = (await stop(bot)).decode()

    received = Counter(r["chat_id"] for r in fake_telegram.delivered())
    assert set(received) == set(chats)
    assert sum(received.values()) - len(chats) <= IN_FLIGHT
    assert "the store is unreachable (database is locked)" in err
    assert "Traceback" not in err


async def newsbot_db(env: dict[str, str], cwd: Path, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        NEWSBOT, "db", *args, env=env, cwd=cwd, stdout=PIPE, stderr=PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    return out.decode()


@pytest.mark.slow
async def test_a_backup_of_the_running_store_restored_sends_nothing_it_had_sent(
    app: App, fake_telegram: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("backups of the embedded store")
    chats = await fan_out_to(app, 3000)
    env = environment(database_url, fake_telegram) | {"NEWSBOT_TELEGRAM_OVERALL_PER_SECOND": "500"}
    backup_file = tmp_path / "backup.db"

    bot = await start("run", env, tmp_path)
    await wait_for(lambda: len(fake_telegram.delivered()) >= 1000, 60)
    await newsbot_db(env, tmp_path, "backup", str(backup_file))  # while it sends
    await wait_for(lambda: set(chats) <= {r["chat_id"] for r in fake_telegram.delivered()}, 60)
    await stop(bot)
    with sqlite3.connect(backup_file) as saved:
        sent_before = {
            str(chat)
            for (chat,) in saved.execute(
                "SELECT c.platform_chat_id FROM deliveries d JOIN chats c ON c.id = d.chat_id "
                "WHERE d.state = 'sent'"
            )
        }
    before_restore = len(fake_telegram.delivered())

    await newsbot_db(env, tmp_path, "restore", str(backup_file))
    again = await start("run", env, tmp_path)
    await wait_for(lambda: len(fake_telegram.delivered()) >= before_restore + 1, 60)
    await asyncio.sleep(4)
    await stop(again)

    resent = Counter(r["chat_id"] for r in fake_telegram.delivered()[before_restore:])
    assert len(sent_before) >= 1000
    assert not set(resent) & sent_before  # what the backup knew was sent never goes again
    assert set(resent) <= set(chats) - sent_before  # only what was sent after the backup


# At a free bot's pace, outcomes are stored every SETTLE_AFTER seconds rather than waiting
# for SETTLE_EVERY of them: what was sent and not yet stored is the pace times that, plus
# one store's time (30/s × (0.25 s + ~0.1 s) ≈ 10), with room for a slow CI machine.
PACED_BOUND = 15


@pytest.mark.slow
async def test_killed_at_telegrams_default_pace_it_doubles_about_ten_at_most(
    app: App, fake_telegram: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    chats = await fan_out_to(app, 300)
    env = environment(database_url, fake_telegram) | {"NEWSBOT_TELEGRAM_OVERALL_PER_SECOND": "30"}

    at_kill, received, err = await killed_and_restarted(
        env, tmp_path, fake_telegram, chats, after=100, within=(60, 90)
    )
    duplicates = sum(received.values()) - len(chats)
    print(f"\nkill -9 at 30 msg/s after {at_kill} of 300 sends: {duplicates} duplicates")
    assert set(received) == set(chats)
    assert duplicates <= PACED_BOUND
    assert b"Traceback" not in err


@pytest.mark.slow
async def test_a_worker_killed_mid_fan_out_loses_nothing_and_doubles_little(
    app: App, fake_telegram: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    chats = await fan_out_to(app, 10_000)
    env = environment(database_url, fake_telegram)

    at_kill, received, err = await killed_and_restarted(
        env, tmp_path, fake_telegram, chats, after=3000, within=(120, 180)
    )
    duplicates = sum(received.values()) - len(chats)
    print(f"\nkill -9 after {at_kill} of 10,000 sends: {duplicates} duplicates")
    assert set(received) == set(chats)  # nothing lost
    assert duplicates <= IN_FLIGHT  # at most what was in flight at the kill
    assert b"Traceback" not in err


@pytest.mark.slow
async def test_a_run_stopped_mid_fan_out_and_restarted_sends_each_message_once(
    app: App, fake_telegram: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    chats = await fan_out_to(app, 10_000)
    # Slow enough that SIGTERM lands mid-fan-out, with batches in flight.
    env = environment(database_url, fake_telegram) | {"NEWSBOT_TELEGRAM_OVERALL_PER_SECOND": "2000"}
    processes: list[asyncio.subprocess.Process] = []
    try:
        processes.append(first := await start("run", env, tmp_path))
        await wait_for(lambda: len(fake_telegram.delivered()) >= 3000, 60)
        errors = [await stop(first)]
        at_stop = len(fake_telegram.delivered())

        processes.append(second := await start("run", env, tmp_path))
        await wait_for(lambda: set(chats) <= {r["chat_id"] for r in fake_telegram.delivered()}, 60)
        await asyncio.sleep(4)  # past the 3 s lease: a claim left unsettled would go again now
        errors.append(await stop(second))
    finally:
        await kill_leftovers(processes)

    received = Counter(r["chat_id"] for r in fake_telegram.delivered())
    again = sum(received.values()) - len(chats)
    print(f"\nSIGTERM after {at_stop} of 10,000 sends; {again} sent again")
    assert at_stop < len(chats)  # it did stop with work left for the second run
    assert set(received) == set(chats)
    assert max(received.values()) == 1
    assert [p.returncode for p in processes] == [0, 0], errors
    assert all(b"Traceback" not in err for err in errors)


@pytest.mark.slow
@pytest.mark.postgres
async def test_three_workers_on_postgresql_share_the_outbox_without_doubles(
    app: App, fake_telegram: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    if app.engine.dialect.name != "postgresql":
        pytest.skip("several processes need PostgreSQL")
    chats = await fan_out_to(app, 3000)
    env = environment(database_url, fake_telegram)

    processes = [await start("run", env, tmp_path)]
    processes += [await start("worker", env, tmp_path) for _ in range(2)]
    await wait_for(lambda: len(fake_telegram.delivered()) >= len(chats), 180)
    await asyncio.sleep(1)  # anything doubled would arrive now
    errors = [await stop(p) for p in processes]

    received = Counter(r["chat_id"] for r in fake_telegram.delivered())
    assert set(received) == set(chats)
    assert max(received.values()) == 1
    assert all(p.returncode == 0 for p in processes), errors


@pytest.mark.slow
@pytest.mark.postgres
async def test_a_worker_killed_beside_the_leader_and_restarted_loses_nothing(
    app: App, fake_telegram: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    """The scale-out case: `newsbot worker` processes share the fan-out with `newsbot run`,
    one of them dies with SIGKILL and comes back; the others carry on meanwhile."""
    if app.engine.dialect.name != "postgresql":
        pytest.skip("several processes need PostgreSQL")
    chats = await fan_out_to(app, 10_000)
    env = environment(database_url, fake_telegram)

    leader = await start("run", env, tmp_path)
    worker = await start("worker", env, tmp_path)
    processes = [leader, worker]
    try:
        await wait_for(lambda: len(fake_telegram.delivered()) >= 3000, 120)
        await until_it_holds_leases(app, worker)  # killed in the middle of its own batches
        worker.send_signal(signal.SIGKILL)
        await worker.wait()
        at_kill = len(fake_telegram.delivered())
        processes.append(restarted := await start("worker", env, tmp_path))
        await wait_for(lambda: set(chats) <= {r["chat_id"] for r in fake_telegram.delivered()}, 180)
        errors = [await stop(leader), await stop(restarted)]
    finally:
        await kill_leftovers(processes)

    received = Counter(r["chat_id"] for r in fake_telegram.delivered())
    duplicates = sum(received.values()) - len(chats)
    print(f"\nworker killed after {at_kill} of 10,000 sends: {duplicates} duplicates")
    assert set(received) == set(chats)  # nothing lost
    assert duplicates <= IN_FLIGHT  # at most what the killed worker had in flight
    assert [leader.returncode, restarted.returncode] == [0, 0], errors
    assert all(b"Traceback" not in err for err in errors)


@pytest.mark.slow
@pytest.mark.postgres
async def test_a_worker_stopped_beside_the_leader_and_restarted_sends_each_message_once(
    app: App, fake_telegram: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    """`kill` (SIGTERM, as systemd and Kubernetes stop a process) in the middle of a
    fan-out: the worker stores what it sent before it exits, so nothing goes twice."""
    if app.engine.dialect.name != "postgresql":
        pytest.skip("several processes need PostgreSQL")
    chats = await fan_out_to(app, 10_000)
    env = environment(database_url, fake_telegram) | {"NEWSBOT_TELEGRAM_OVERALL_PER_SECOND": "1000"}
    leader = await start("run", env, tmp_path)
    worker = await start("worker", env, tmp_path)
    processes = [leader, worker]
    try:
        await wait_for(lambda: len(fake_telegram.delivered()) >= 3000, 60)
        await until_it_holds_leases(app, worker)  # stopped in the middle of its own batches
        errors = [await stop(worker)]
        at_stop = len(fake_telegram.delivered())
        processes.append(restarted := await start("worker", env, tmp_path))
        await wait_for(lambda: set(chats) <= {r["chat_id"] for r in fake_telegram.delivered()}, 60)
        await asyncio.sleep(4)  # past the 3 s lease: a claim left unsettled would go again now
        errors += [await stop(leader), await stop(restarted)]
    finally:
        await kill_leftovers(processes)

    received = Counter(r["chat_id"] for r in fake_telegram.delivered())
    again = sum(received.values()) - len(chats)
    print(f"\nworker stopped after {at_stop} of 10,000 sends; {again} sent again")
    assert at_stop < len(chats)
    assert set(received) == set(chats)
    assert max(received.values()) == 1
    assert [p.returncode for p in processes] == [0, 0, 0], errors
    assert all(b"Traceback" not in err for err in errors)
