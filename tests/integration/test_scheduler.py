"""The leader's timed jobs: on APScheduler while this process leads, nowhere else.

Nothing here waits for time to pass: each test awaits the scheduler's own events (a job
added, run, removed; the scheduler shut down), with a generous bound that only a broken
scheduler reaches.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from apscheduler.events import (  # type: ignore[import-untyped]
    EVENT_ALL_JOBS_REMOVED,
    EVENT_JOB_ADDED,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
)
from sqlalchemy.engine import make_url

from newsbot.app import App, open_app
from newsbot.clock import FixedClock
from newsbot.delivery.dispatcher import DispatchReport, DispatchSettings
from newsbot.delivery.pacing import Limits
from newsbot.ingest.poller import PollSettings
from newsbot.leadership import LEADER_LOCK_KEY, Leadership
from newsbot.scheduler import LeaderJobs, TimedJob
from newsbot.service import Service
from newsbot.store.delivery_models import DeliveryState
from tests.conftest import make_settings
from tests.fakes.platform import RecordingPlatform
from tests.integration.test_leadership import lock_holder
from tests.integration.test_retention import OLD, RECENT, left, write

PATIENCE = 10.0  # seconds; every event awaited here comes within milliseconds
HOUR = timedelta(hours=1)
JOBS = ["digest", "prune"]  # the leader's: the digest tick every minute, retention hourly


def on(scheduler: Any, mask: int, job: str | None = None) -> asyncio.Event:
    """An event set each time the scheduler reports one of ``mask``'s events (of ``job``
    only, when given)."""
    happened = asyncio.Event()

    def heard(event: Any) -> None:
        if job is None or getattr(event, "job_id", None) == job:
            happened.set()

    scheduler.add_listener(heard, mask)
    return happened


async def until(event: asyncio.Event) -> None:
    await asyncio.wait_for(event.wait(), PATIENCE)
    event.clear()


def job_ids(jobs: LeaderJobs) -> list[str]:
    return sorted(job.id for job in jobs.scheduler.get_jobs())


def service_on(app: App) -> Service:
    return Service(
        app=app,
        platforms={"test": RecordingPlatform(limits=Limits(per_chat_per_second=1000.0))},
        dispatch_settings=DispatchSettings(owner="test:scheduler", concurrency=1),
        poll_settings=PollSettings(max_bytes=1_000_000, max_backoff=60, concurrency=1),
    )


@dataclass
class Running:
    service: Service
    task: asyncio.Task[None]

    async def stop(self) -> None:
        self.service.stop.set()
        await asyncio.wait_for(self.task, PATIENCE)


@pytest.fixture
async def started() -> AsyncIterator[Callable[[Service, bool], Running]]:
    """Starts services; stops whichever a test leaves running."""
    running: list[Running] = []

    def start(service: Service, lead: bool = True) -> Running:
        running.append(Running(service, asyncio.create_task(service.run(lead=lead))))
        return running[-1]

    yield start
    for each in running:
        if not each.task.done():
            await each.stop()


@dataclass
class Handover(Leadership):
    """The leader lock as the test decides: held until ``leads`` is set false."""

    leads: bool = True

    async def acquire(self) -> bool:
        return self.leads

    async def release(self) -> None:
        return None


# --- the service's jobs ----------------------------------------------------------------------


async def test_the_leader_prunes_on_the_scheduler_at_once_then_hourly_and_a_stop_shuts_it_down(
    app: App, started: Callable[[Service, bool], Running]
) -> None:
    await write(app, (DeliveryState.SENT, OLD), (DeliveryState.SENT, RECENT))
    service = service_on(app)
    pruned = on(service.leader_jobs.scheduler, EVENT_JOB_EXECUTED, "prune")

    running = started(service, True)
    await until(pruned)  # the first pass runs on taking the lead, not an hour later

    assert await left(app) == [2]
    job = service.leader_jobs.scheduler.get_job("prune")
    assert (job.id, job.name, job.trigger.interval) == ("prune", "prune settled deliveries", HOUR)
    # However late the busy event loop gets to it, a run is run (APScheduler's default grace
    # of 1 s would skip it), missed runs become one, and never two at once.
    assert (job.misfire_grace_time, job.coalesce, job.max_instances) == (None, True, 1)
    assert job.next_run_time > datetime.now(UTC) + HOUR - timedelta(minutes=1)

    await running.stop()
    assert not service.leader_jobs.scheduler.running
    assert not service.leader_jobs.leading


async def test_a_worker_never_leads_and_has_no_jobs(
    app: App, started: Callable[[Service, bool], Running], monkeypatch: pytest.MonkeyPatch
) -> None:
    service = service_on(app)
    dispatched = asyncio.Event()
    run_once = service.dispatcher.run_once

    async def counted() -> DispatchReport:
        report = await run_once()
        dispatched.set()
        return report

    monkeypatch.setattr(service.dispatcher, "run_once", counted)

    running = started(service, False)
    await until(dispatched)  # up and delivering

    assert job_ids(service.leader_jobs) == []
    assert not service.leader_jobs.scheduler.running  # a worker needs no scheduler at all
    await running.stop()


async def test_losing_the_lead_removes_the_jobs_and_leading_again_brings_them_back(
    app: App, started: Callable[[Service, bool], Running]
) -> None:
    service = service_on(app)
    lock = Handover(app)
    service.leadership = lock
    scheduler = service.leader_jobs.scheduler
    added, removed = on(scheduler, EVENT_JOB_ADDED), on(scheduler, EVENT_ALL_JOBS_REMOVED)

    running = started(service, True)
    await until(added)
    assert job_ids(service.leader_jobs) == JOBS

    lock.leads = False  # another process holds the lock now
    await until(removed)
    assert job_ids(service.leader_jobs) == []
    assert scheduler.running  # only the jobs go; the scheduler waits for the next lead

    lock.leads = True
    await until(added)  # rebuilt from code, not kept anywhere
    assert job_ids(service.leader_jobs) == JOBS

    await running.stop()
    assert not scheduler.running


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
async def test_a_run_that_does_not_lead_has_no_jobs_and_a_leader_that_loses_its_lock_drops_them(
    database_url: str,
    clock: FixedClock,
    started: Callable[[Service, bool], Running],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with (
        open_app(make_settings(database_url), clock=clock) as first_app,
        open_app(make_settings(database_url), clock=clock) as second_app,
    ):
        first, second = service_on(first_app), service_on(second_app)
        first_added = on(first.leader_jobs.scheduler, EVENT_JOB_ADDED)
        second_refused = refusals(second.leadership, monkeypatch)

        leader, follower = started(first, True), None
        try:
            await until(first_added)
            follower = started(second, True)
            await until(second_refused)
            await lose_the_lock_and_hand_it_on(database_url, first, second)
        finally:  # before the apps close
            for running in (leader, follower):
                if running is not None:
                    await running.stop()
        assert not first.leader_jobs.scheduler.running
        assert not second.leader_jobs.scheduler.running


async def lose_the_lock_and_hand_it_on(database_url: str, first: Service, second: Service) -> None:
    first_added = on(first.leader_jobs.scheduler, EVENT_JOB_ADDED)
    first_removed = on(first.leader_jobs.scheduler, EVENT_ALL_JOBS_REMOVED)
    second_added = on(second.leader_jobs.scheduler, EVENT_JOB_ADDED)
    assert (job_ids(first.leader_jobs), job_ids(second.leader_jobs)) == (JOBS, [])

    # The leader's session ends under it, and someone else takes the lock at once.
    holder = lock_holder(database_url)
    assert holder is not None
    conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(conninfo, autocommit=True) as usurper:
        usurper.execute(
            f"SELECT pg_terminate_backend({holder}, 5000); "
            f"SELECT pg_advisory_lock({LEADER_LOCK_KEY})"
        )
        await until(first_removed)
        assert (job_ids(first.leader_jobs), job_ids(second.leader_jobs)) == ([], [])

    # The lock is free again: whichever process takes it runs the jobs, the other none.
    either = [asyncio.create_task(until(e)) for e in (first_added, second_added)]
    _, pending = await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    assert sorted([job_ids(first.leader_jobs), job_ids(second.leader_jobs)]) == [[], JOBS]


def refusals(leadership: Leadership, monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """An event set each time ``leadership`` asks for the lock and is refused."""
    refused = asyncio.Event()
    acquire = leadership.acquire

    async def asking() -> bool:
        got = await acquire()
        if not got:
            refused.set()
        return got

    monkeypatch.setattr(leadership, "acquire", asking)
    return refused


# --- the scheduler itself -----------------------------------------------------------------


@pytest.fixture
async def leader_jobs() -> AsyncIterator[Callable[[TimedJob], LeaderJobs]]:
    made: list[LeaderJobs] = []

    def make(job: TimedJob) -> LeaderJobs:
        made.append(LeaderJobs([job]))
        made[-1].start()
        return made[-1]

    yield make
    for jobs in made:
        await jobs.shutdown()


def hourly(name: str, run: Callable[[], Awaitable[object]]) -> TimedJob:
    return TimedJob(name, name, run, HOUR)


async def test_a_run_far_later_than_its_time_still_runs(
    leader_jobs: Callable[[TimedJob], LeaderJobs],
) -> None:
    runs: list[int] = []

    async def count() -> None:
        runs.append(1)

    jobs = leader_jobs(hourly("late", count))
    executed, missed = on(jobs.scheduler, EVENT_JOB_EXECUTED), on(jobs.scheduler, EVENT_JOB_MISSED)
    jobs.lead()
    # As if the event loop had been busy for five minutes when the run came due.
    jobs.scheduler.modify_job("late", next_run_time=datetime.now(UTC) - timedelta(minutes=5))

    await until(executed)

    assert runs == [1]
    assert not missed.is_set()


async def test_a_stop_lets_the_run_in_flight_end_then_shuts_the_scheduler_down(
    leader_jobs: Callable[[TimedJob], LeaderJobs], caplog: pytest.LogCaptureFixture
) -> None:
    began = asyncio.Event()
    chunks: list[int] = []

    async def long_pass() -> None:
        """Like retention's pass: a chunk at a time, asking between chunks whether to go on."""
        began.set()
        while jobs.leading:
            chunks.append(1)
            await asyncio.sleep(0)  # a chunk's worth of other work on the loop
        chunks.append(0)  # ended by itself, not cancelled

    jobs = leader_jobs(hourly("long", long_pass))
    overlapping = on(jobs.scheduler, EVENT_JOB_MAX_INSTANCES)
    jobs.lead()
    await until(began)

    await asyncio.wait_for(jobs.shutdown(), PATIENCE)

    assert chunks[-1] == 0
    assert not jobs.scheduler.running
    assert job_ids(jobs) == []
    assert not overlapping.is_set()
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_a_failing_run_is_logged_as_ours_and_keeps_its_schedule(
    leader_jobs: Callable[[TimedJob], LeaderJobs], caplog: pytest.LogCaptureFixture
) -> None:
    async def fail() -> None:
        raise RuntimeError("the store went away")

    jobs = leader_jobs(hourly("failing", fail))
    executed = on(jobs.scheduler, EVENT_JOB_EXECUTED)
    jobs.lead()
    await until(executed)

    assert job_ids(jobs) == ["failing"]
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.name == "newsbot.scheduler"
    assert record.getMessage() == "failing failed; it runs again in 1:00:00"
